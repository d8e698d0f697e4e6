import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NON_SNOOZABLE_RULES, RULE_IDS } from '#domain';
import { CurrentUser, Roles } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { SnoozesService, type SnoozeView } from './snoozes.service.js';

const SNOOZABLE = RULE_IDS.filter((r) => !NON_SNOOZABLE_RULES.includes(r));

/**
 * The body is checked by libs/domain validateSnoozeRequest, not by a DTO: its refusals carry the
 * stable codes of the snooze API (SNOOZE_*, RULE_NOT_SNOOZABLE), in a fixed order.
 */
@ApiTags('snoozes')
@ApiBearerAuth()
@Roles('nurse', 'physician')
@Controller('api')
export class SnoozesController {
  constructor(private readonly snoozes: SnoozesService) {}

  @Post('patients/:id/snoozes')
  @ApiOperation({
    summary: "Silence one of the patient's rules until `until` (at most 7 days ahead), with a reason; audited",
    description:
      '400 SNOOZE_BODY_INVALID | SNOOZE_RULE_UNKNOWN | SNOOZE_REASON_REQUIRED | SNOOZE_UNTIL_INVALID; 422 RULE_NOT_SNOOZABLE (spo2.critical, device.silent); ' +
      '409 SNOOZE_ACTIVE (the rule is already snoozed: end that snooze first); 404 for a patient outside your care teams.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['rule', 'until', 'reason'],
      additionalProperties: false,
      properties: {
        rule: { type: 'string', enum: SNOOZABLE },
        until: { type: 'string', format: 'date-time', description: 'ISO 8601 with an offset, e.g. 2026-12-09T08:00:00+01:00' },
        reason: { type: 'string' },
      },
    },
  })
  create(@CurrentUser() principal: Principal, @Param('id') id: string, @Body() body: unknown): Promise<SnoozeView> {
    return this.snoozes.create(principal, id, body);
  }

  @Get('patients/:id/snoozes')
  @ApiOperation({ summary: "The patient's snoozes in force and those ended or expired in the last 7 days, newest first" })
  list(@CurrentUser() principal: Principal, @Param('id') id: string): Promise<SnoozeView[]> {
    return this.snoozes.list(principal, id);
  }

  @Delete('snoozes/:id')
  @ApiOperation({ summary: 'End a snooze early (the row is kept, with who ended it and when); audited. 409 SNOOZE_ALREADY_ENDED.' })
  end(@CurrentUser() principal: Principal, @Param('id') id: string): Promise<SnoozeView> {
    return this.snoozes.end(principal, id);
  }
}
