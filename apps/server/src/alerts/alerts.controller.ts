import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { ALERT_STATUSES, type AlertStatus, type AlertView } from '#domain';
import { CurrentUser, Roles } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { AlertLifecycleService } from './alert-lifecycle.service.js';
import { AlertQueryService } from './alert-query.service.js';

export class AlertListQueryDto {
  @ApiPropertyOptional({ enum: ALERT_STATUSES }) @IsOptional() @IsIn(ALERT_STATUSES) status?: AlertStatus;
  @ApiPropertyOptional() @IsOptional() @IsUUID() patientId?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 200 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit?: number;
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
  ) {}

  @Get()
  @ApiOperation({ summary: "Alerts of the patients in the caller's care teams, newest first" })
  list(@CurrentUser() principal: Principal, @Query() q: AlertListQueryDto): Promise<AlertView[]> {
    return this.query.list(principal, q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One alert (404 outside the caller’s care teams)' })
  get(@CurrentUser() principal: Principal, @Param('id') id: string): Promise<AlertView> {
    return this.query.get(principal, id);
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
