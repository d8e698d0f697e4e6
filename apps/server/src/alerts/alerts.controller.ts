import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { ALERT_STATUSES, type AlertStatus, type AlertView } from '#domain';
import { CurrentUser, Roles } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { assertFromBeforeTo, parseInstant } from '../common/instant.js';
import { AlertLifecycleService } from './alert-lifecycle.service.js';
import { AlertQueryService } from './alert-query.service.js';
import { AlertEvidenceService, type AlertEvidence } from './alert-evidence.service.js';

export class AlertListQueryDto {
  @ApiPropertyOptional({ enum: ALERT_STATUSES }) @IsOptional() @IsIn(ALERT_STATUSES) status?: AlertStatus;
  @ApiPropertyOptional() @IsOptional() @IsUUID() patientId?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 200 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit?: number;
  /** With `to`: the alerts active during [from, to). Added after v1; absent = no bound. */
  @ApiPropertyOptional({ description: 'ISO-8601: only alerts not resolved before this instant (still active at or after it)', example: '2026-11-01T00:00:00Z' })
  @IsOptional() @IsISO8601({ strict: true })
  from?: string;
  @ApiPropertyOptional({ description: 'ISO-8601 (exclusive): only alerts that started before this instant', example: '2026-12-01T00:00:00Z' })
  @IsOptional() @IsISO8601({ strict: true })
  to?: string;
  @ApiPropertyOptional({ description: 'paging: only alerts with a smaller id (pass the last id of the previous page; the list is newest first)' })
  @IsOptional() @Matches(/^[1-9][0-9]{0,17}$/, { message: 'beforeId must be a positive integer' })
  beforeId?: string;
}

export class AlertNoteDto {
  @ApiPropertyOptional({ maxLength: 2000 }) @IsOptional() @IsString() @MaxLength(2000) note?: string;
}

@ApiTags('alerts')
@ApiBearerAuth()
@Roles('nurse', 'physician')
@Controller('api/alerts')
export class AlertsController {
  constructor(
    private readonly query: AlertQueryService,
    private readonly lifecycle: AlertLifecycleService,
    private readonly evidence: AlertEvidenceService,
  ) {}

  @Get()
  @ApiOperation({
    summary: "Alerts of the patients in the caller's care teams, newest first",
    description: 'Optional filters: status, patientId, from/to (alerts active during [from, to): started before `to`, not resolved before `from`); paging: `limit` and `beforeId`.',
  })
  list(@CurrentUser() principal: Principal, @Query() q: AlertListQueryDto): Promise<AlertView[]> {
    const from = q.from === undefined ? undefined : parseInstant('from', q.from);
    const to = q.to === undefined ? undefined : parseInstant('to', q.to);
    if (from && to) assertFromBeforeTo(from, to);
    return this.query.list(principal, { ...q, from: from?.toISOString(), to: to?.toISOString() });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One alert (404 outside the caller’s care teams)' })
  get(@CurrentUser() principal: Principal, @Param('id') id: string): Promise<AlertView> {
    return this.query.get(principal, id);
  }

  @Get(':id/evidence')
  @ApiOperation({
    summary: 'Evidence of an alert: the settings in force when it was raised, its statistic, the window and the samples that met the rule, the clinical source',
  })
  getEvidence(@CurrentUser() principal: Principal, @Param('id') id: string): Promise<AlertEvidence> {
    return this.evidence.get(principal, id);
  }

  @Post(':id/ack')
  @HttpCode(200)
  @ApiOperation({ summary: 'Acknowledge an alert (stops its escalation)' })
  ack(@CurrentUser() principal: Principal, @Param('id') id: string, @Body() body: AlertNoteDto): Promise<AlertView> {
    return this.lifecycle.acknowledge(principal, id, body.note);
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resolve an alert by hand (resolution "manual"), with an optional note' })
  resolve(@CurrentUser() principal: Principal, @Param('id') id: string, @Body() body: AlertNoteDto): Promise<AlertView> {
    return this.lifecycle.resolve(principal, id, body.note);
  }
}
