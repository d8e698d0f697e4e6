import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsObject, IsOptional } from 'class-validator';
import { RULE_IDS } from '#domain';
import { PARAMETER_RANGES } from '#rules';
import { CurrentUser, Roles } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { ThresholdsService, type ThresholdsView } from './thresholds.service.js';

/**
 * Body of PUT thresholds: one optional object per rule id (CONTRACT.md §3), e.g.
 * `{ "spo2.low": { "threshold": 86, "durationSeconds": 600 } }`. The parameters inside each
 * object, their types and ranges are checked by libs/rules validateOverrides (one source of truth
 * with the engine and docs/alert-rules.md).
 */
export class ThresholdOverridesDto {
  [rule: string]: Record<string, unknown> | null | undefined;
}
for (const rule of RULE_IDS) {
  const params = Object.entries(PARAMETER_RANGES[rule])
    .map(([name, r]) => (r === 'boolean' ? `${name} (boolean)` : 'oneOf' in r ? `${name} (${r.oneOf.join(' | ')})` : `${name} (${r.min}–${r.max})`))
    .join(', ');
  IsOptional()(ThresholdOverridesDto.prototype, rule);
  IsObject({ message: `${rule} must be an object` })(ThresholdOverridesDto.prototype, rule);
  ApiPropertyOptional({ type: 'object', additionalProperties: true, description: params })(ThresholdOverridesDto.prototype, rule);
}

@ApiTags('thresholds')
@ApiBearerAuth()
@Controller('api/patients/:id/thresholds')
export class ThresholdsController {
  constructor(private readonly thresholds: ThresholdsService) {}

  @Get()
  @Roles('nurse', 'physician')
  @ApiOperation({ summary: "The patient's rule parameters: profile defaults, the physician's overrides and the effective values" })
  get(@CurrentUser() principal: Principal, @Param('id') id: string): Promise<ThresholdsView> {
    return this.thresholds.get(principal, id);
  }

  @Put()
  @Roles('physician')
  @ApiOperation({
    summary: "Replace the patient's overrides (physician of the patient). Takes effect on the next sample; audited.",
    description: 'While the patient has an active episode, disabling device.silent is refused: 422 RULE_MANDATORY, nothing changed (listed in the GET answer under locked).',
  })
  put(@CurrentUser() principal: Principal, @Param('id') id: string, @Body() body: ThresholdOverridesDto): Promise<ThresholdsView> {
    return this.thresholds.put(principal, id, { ...body });
  }
}
