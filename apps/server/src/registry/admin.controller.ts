import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { AdminLogService } from './admin-log.service.js';
import { AuditEntryView, AuditQueryDto, RejectionsQueryDto, RejectionView } from './admin-query.dto.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('api/admin')
export class AdminController {
  constructor(private readonly logs: AdminLogService) {}

  @Get('audit')
  @ApiOperation({ summary: 'Audit log, newest first (admin)' })
  @ApiOkResponse({ type: [AuditEntryView] })
  audit(@CurrentUser() principal: Principal, @Query() query: AuditQueryDto): Promise<AuditEntryView[]> {
    return this.logs.auditEntries(principal, query);
  }

  @Get('rejections')
  @ApiOperation({ summary: 'Rejected device input (dead letters), newest first (admin)' })
  @ApiOkResponse({ type: [RejectionView] })
  rejections(@CurrentUser() principal: Principal, @Query() query: RejectionsQueryDto): Promise<RejectionView[]> {
    return this.logs.rejections(principal, query);
  }
}
