import { Injectable } from '@nestjs/common';
import { activeDays, calendarMonth, complianceMet, isMonthKey, localDateOf } from '#domain';
import { PatientAccessService, type VisiblePatient } from '../access/patient-access.service.js';
import { AlertQueryService } from '../alerts/alert-query.service.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import type { EpisodeDto } from '../episodes/episodes.dto.js';
import { EpisodesService } from '../episodes/episodes.service.js';
import { ReviewsService } from '../episodes/reviews.service.js';
import type { ActivityRowDto } from './reports.dto.js';
import { ReportRepository } from './report.repository.js';
import { ReportsService } from './reports.service.js';

/**
 * The operator's activity for a calendar month (CONTRACT.md §6): one row per episode active in
 * it, from the same reads as the reports (days with data, alerts of a period, reviews).
 * Admin: every patient; physician: his care teams (PatientAccessService.readOperatorList).
 */
@Injectable()
export class ActivityService {
  constructor(
    private readonly access: PatientAccessService,
    private readonly episodes: EpisodesService,
    private readonly alerts: AlertQueryService,
    private readonly reviews: ReviewsService,
    private readonly reports: ReportsService,
    private readonly names: ReportRepository,
  ) {}

  async month(principal: Principal, month: unknown, now: Date): Promise<ActivityRowDto[]> {
    if (!isMonthKey(month)) throw new AppError('REPORT_MONTH_INVALID', 'month must be YYYY-MM');
    // A calendar month of each patient's zone: "not started yet" anywhere is judged in the zone that starts it first (UTC+14).
    if (month > localDateOf(now.getTime(), 'Pacific/Kiritimati').slice(0, 7)) throw new AppError('REPORT_MONTH_IN_FUTURE', 'the month has not started yet');
    const audit = { action: 'report.activity', details: { month }, target: { type: 'report', id: `activity:${month}` } };
    return this.access.readOperatorList(
      principal,
      audit,
      async (patients, note) => {
        const byId = new Map(patients.map((p) => [p.id, p]));
        // Episodes' dates are dates of the patient's zone, as the month's are: the overlap is exact.
        const episodes = await this.episodes.overlappingOf(patients, `${month}-01`, calendarMonth(month, 'UTC').to);
        const rows: ActivityRowDto[] = [];
        for (const e of episodes) {
          const row = await this.row(byId.get(e.patientId)!, e, month, now);
          if (row) rows.push(row);
        }
        const users = await this.names.userNames(rows.map((r) => r.prescriberId));
        const teams = await this.names.teamNames(rows.map((r) => r.careTeamId));
        for (const r of rows) {
          r.prescriberName = r.prescriberId ? (users.get(r.prescriberId) ?? null) : null;
          r.careTeamName = teams.get(r.careTeamId) ?? '';
        }
        note({ count: rows.length });
        return rows;
      },
      (rows) => rows.map((r) => r.patientId),
    );
  }

  private async row(patient: VisiblePatient, e: EpisodeDto, month: string, now: Date): Promise<ActivityRowDto | undefined> {
    const m = calendarMonth(month, patient.timezone);
    const days = activeDays(m.from, m.to, e.startDate, this.reports.lastDay(patient, e, now));
    if (days.length === 0) return undefined;
    const withData = (await this.episodes.daysWithDataOf(patient, days)).filter(Boolean).length;
    const { ratio, met } = complianceMet(withData, days.length);
    const start = new Date(m.window.start);
    const end = new Date(m.window.end);
    const [alerts, reviews] = await Promise.all([this.alerts.activeDuringOf(patient, start, end), this.reviews.listOf(patient)]);
    const raised = alerts.filter((a) => Date.parse(a.startedAt) >= m.window.start);
    const inMonth = (iso: string | null) => iso !== null && Date.parse(iso) >= m.window.start && Date.parse(iso) < m.window.end;
    return {
      month,
      episodeId: e.id,
      patientId: patient.id,
      patientName: patient.displayName,
      careTeamId: patient.careTeamId,
      careTeamName: '',
      prescriberId: e.prescriberId,
      prescriberName: null,
      indication: e.indication,
      episodeStart: e.startDate,
      episodeEnd: e.endDate,
      daysActive: days.length,
      daysWithData: withData,
      complianceRatio: Math.round(ratio * 1000) / 1000,
      complianceMet: met,
      alertsRaised: raised.length,
      alertsHandled: alerts.filter((a) => (a.acknowledgedBy !== null && inMonth(a.acknowledgedAt)) || (a.resolution === 'manual' && inMonth(a.resolvedAt))).length,
      reviews: reviews.filter((r) => inMonth(r.at)).length,
    };
  }
}
