import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsISO8601 } from 'class-validator';
import { CurrentUser, Roles } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { parseInstant } from '../common/instant.js';
import { AlertHandlingService, MAX_ALERT_HANDLING_DAYS, type AlertHandlingView } from './alert-handling.service.js';

export class AlertHandlingQueryDto {
  @ApiProperty({ description: 'ISO-8601: alerts not resolved before this instant', example: '2026-11-01T00:00:00Z' })
  @IsISO8601({ strict: true })
  from!: string;

  @ApiProperty({ description: 'ISO-8601 (exclusive): alerts started before this instant', example: '2026-12-01T00:00:00Z' })
  @IsISO8601({ strict: true })
  to!: string;
}

/** The handling of a patient's alerts (names and notes) for the physician's pages (issue 5). */
@ApiTags('clinical')
@ApiBearerAuth()
@Roles('physician', 'nurse')
@Controller('api/patients/:id')
export class AlertHandlingController {
  constructor(private readonly handling: AlertHandlingService) {}

  @Get('alert-handling')
  @ApiOperation({
    summary: "Who acknowledged / resolved the patient's alerts, and the notes of their events",
    description:
      `For the alerts active during [from, to) (as GET /api/alerts?patientId=&from=&to=): { alertId, acknowledgedBy, resolvedBy: { id, name, role } | null, ` +
      `events: [{ kind, at, by, note }] } (acknowledged, resolved, escalated and any event with a note), oldest first. At most ${MAX_ALERT_HANDLING_DAYS} days (RANGE_TOO_LARGE).`,
  })
  get(@Param('id') id: string, @Query() q: AlertHandlingQueryDto, @CurrentUser() principal: Principal): Promise<AlertHandlingView[]> {
    return this.handling.read(principal, id, { from: parseInstant('from', q.from), to: parseInstant('to', q.to) });
  }
}
