import { Controller, Get, Header, Param, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { stringify } from 'csv-stringify/sync';
import type { Response } from 'express';
import type { Principal } from '../auth/principal.js';
import { CurrentUser, Roles } from '../auth/decorators.js';
import { AppError } from '../common/app-error.js';
import { ActivityService } from './activity.service.js';
import { ACTIVITY_COLUMNS, ActivityRowDto } from './reports.dto.js';
import { ReportsService, type ReportFile } from './reports.service.js';

const pdf = (file: ReportFile) => new StreamableFile(file.pdf, { type: 'application/pdf', disposition: `attachment; filename="${file.fileName}"`, length: file.pdf.length });

/** Reports as PDF files and the operator's activity (CONTRACT.md §6, docs/api.md). */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('api')
export class ReportsController {
  constructor(
    private readonly reports: ReportsService,
    private readonly activity: ActivityService,
  ) {}

  @Get('patients/:id/reports/monthly.pdf')
  @Roles('nurse', 'physician')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('application/pdf')
  @ApiQuery({ name: 'month', example: '2026-11', description: "a calendar month of the patient's time zone, not in the future, of an episode" })
  @ApiOperation({ summary: 'monthly report (PDF)', description: '400 REPORT_MONTH_INVALID / REPORT_MONTH_IN_FUTURE / REPORT_MONTH_BEFORE_EPISODE / REPORT_MONTH_OUTSIDE_EPISODE.' })
  async monthly(@Param('id') id: string, @Query('month') month: unknown, @CurrentUser() principal: Principal): Promise<StreamableFile> {
    return pdf(await this.reports.monthly(principal, id, month, new Date()));
  }

  @Get('episodes/:id/closing-report.pdf')
  @Roles('nurse', 'physician')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('application/pdf')
  @ApiOperation({ summary: 'closing report of an ended episode (PDF)', description: '409 EPISODE_NOT_ENDED while the episode is active.' })
  async closing(@Param('id') id: string, @CurrentUser() principal: Principal): Promise<StreamableFile> {
    return pdf(await this.reports.closing(principal, id, new Date()));
  }

  @Get('reports/activity')
  @Roles('admin', 'physician')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('application/json', 'text/csv')
  @ApiQuery({ name: 'month', example: '2026-11' })
  @ApiQuery({ name: 'format', enum: ['json', 'csv'], required: false })
  @ApiOperation({ summary: "the operator's activity: one row per episode active in the month", description: 'admin: every patient; physician: his care teams.' })
  @ApiOkResponse({ type: [ActivityRowDto] })
  async activityOf(
    @Query('month') month: unknown,
    @Query('format') format: unknown,
    @CurrentUser() principal: Principal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ActivityRowDto[] | string> {
    if (format !== undefined && format !== 'json' && format !== 'csv') throw new AppError('BAD_REQUEST', 'format must be json or csv');
    const rows = await this.activity.month(principal, month, new Date());
    if (format !== 'csv') return rows;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="activity-${String(month)}.csv"`);
    return stringify(rows, { header: true, columns: [...ACTIVITY_COLUMNS], cast: { boolean: (v) => (v ? 'true' : 'false') } });
  }
}
