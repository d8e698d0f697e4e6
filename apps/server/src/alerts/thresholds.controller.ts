import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ThresholdsPreviewService, PREVIEW_MAX_DAYS, type ThresholdsPreview } from './thresholds-preview.service.js';
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
/** The rule-id properties of a thresholds body (PUT and preview share them). */
function decorateRuleProperties(prototype: object): void {
  for (const rule of RULE_IDS) {
    const params = Object.entries(PARAMETER_RANGES[rule])
      .map(([name, r]) => (r === 'boolean' ? `${name} (boolean)` : 'oneOf' in r ? `${name} (${r.oneOf.join(' | ')})` : `${name} (${r.min}–${r.max})`))
      .join(', ');
    IsOptional()(prototype, rule);
    IsObject({ message: `${rule} must be an object` })(prototype, rule);
    ApiPropertyOptional({ type: 'object', additionalProperties: true, description: params })(prototype, rule);
  }
}
decorateRuleProperties(ThresholdOverridesDto.prototype);

/** Body of POST thresholds/preview: the proposed overrides (as PUT) and the days to replay (checked by the service: RANGE_TOO_LARGE above 90). */
export class ThresholdsPreviewDto {
  [ruleOrDays: string]: unknown;
}
decorateRuleProperties(ThresholdsPreviewDto.prototype);
IsOptional()(ThresholdsPreviewDto.prototype, 'days');
ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: PREVIEW_MAX_DAYS, default: 30, description: 'days of stored data to replay' })(
  ThresholdsPreviewDto.prototype,
  'days',
);

@ApiTags('thresholds')
@ApiBearerAuth()
@Controller('api/patients/:id/thresholds')
export class ThresholdsController {
  constructor(
    private readonly thresholds: ThresholdsService,
    private readonly previews: ThresholdsPreviewService,
  ) {}

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

  @Post('preview')
  @HttpCode(200)
  @Roles('physician')
  @ApiOperation({
    summary: "What-if: the alerts the proposed settings and today's would have raised on the patient's last `days` days (default 30, at most 90). Saves nothing.",
  })
  preview(@CurrentUser() principal: Principal, @Param('id') id: string, @Body() body: ThresholdsPreviewDto): Promise<ThresholdsPreview> {
    return this.previews.preview(principal, id, { ...body });
  }
}
