import { Inject, Injectable } from '@nestjs/common';
import { activeDays, calendarMonth, complianceMet, isMonthKey, localDateOf, monthsBetween, shareableIns, therapyDayOf, addCalendarDays } from '#domain';
import { PatientAccessService, type VisiblePatient } from '../access/patient-access.service.js';
import { AlertQueryService } from '../alerts/alert-query.service.js';
import { ThresholdsService } from '../alerts/thresholds.service.js';
import type { Principal } from '../auth/principal.js';
import { AlertHandlingService } from '../clinical/alert-handling.service.js';
import { NightsService } from '../clinical/nights.service.js';
import { AppError } from '../common/app-error.js';
import type { EpisodeDto } from '../episodes/episodes.dto.js';
import { EpisodesService } from '../episodes/episodes.service.js';
import { ReviewsService } from '../episodes/reviews.service.js';
import { TherapyDaysService } from '../episodes/therapy-days.service.js';
import { PRODUCT_VERSION } from './product-version.js';
import { dailyChartsSvg } from './report-charts.js';
import { reportDocument, type ReportContent, type ReportMonth } from './report-document.js';
import { ReportRepository } from './report.repository.js';
import { renderPdf } from './pdf-renderer.js';

export interface ReportFile {
  fileName: string;
  pdf: Buffer;
}

/**
 * The monthly and closing reports as PDF files (CONTRACT.md §6). They read exactly what the pages
 * read: /days (TherapyDaysService), /nights (NightsService), the alerts of a period with their
 * handling, the compliance months and days with data (EpisodesService), the reviews, and the
 * thresholds in force (ThresholdsService, from the audit log of each change). One audit entry per
 * report generated: who, which patient, which period.
 */
@Injectable()
export class ReportsService {
  constructor(
    private readonly access: PatientAccessService,
    private readonly episodes: EpisodesService,
    private readonly days: TherapyDaysService,
    private readonly nights: NightsService,
    private readonly alerts: AlertQueryService,
    private readonly handling: AlertHandlingService,
    private readonly thresholds: ThresholdsService,
    private readonly reviews: ReviewsService,
    private readonly names: ReportRepository,
    @Inject(PRODUCT_VERSION) private readonly productVersion: string,
  ) {}

  async monthly(principal: Principal, patientId: string, month: unknown, now: Date): Promise<ReportFile> {
    if (!isMonthKey(month)) throw new AppError('REPORT_MONTH_INVALID', 'month must be YYYY-MM');
    const audit = { action: 'report.monthly', details: { month }, target: { type: 'report', id: `monthly:${month}` } };
    return this.access.read(principal, patientId, audit, async (patient, note) => {
      const period = calendarMonth(month, patient.timezone);
      if (period.from > localDateOf(now.getTime(), patient.timezone)) throw new AppError('REPORT_MONTH_IN_FUTURE', "the month has not started yet (patient's time zone)");
      const episodes = await this.episodes.listOf(patient);
      const episode = episodes.find((e) => e.startDate <= period.to && (e.endDate === null || e.endDate >= period.from));
      if (!episode) {
        if (episodes.every((e) => e.startDate > period.to)) throw new AppError('REPORT_MONTH_BEFORE_EPISODE', 'the month is before the telemonitoring episode');
        throw new AppError('REPORT_MONTH_OUTSIDE_EPISODE', 'no telemonitoring episode was active in the month');
      }
      const last = this.lastDay(patient, episode, now);
      const from = episode.startDate > period.from ? episode.startDate : period.from;
      const to = last < period.to ? last : period.to;
      note({ episodeId: episode.id, from, to });
      const content = await this.content(principal, patient, episode, 'monthly', [month], { from, to }, now);
      return { fileName: `monthly-report-${month}-${patient.id.slice(0, 8)}.pdf`, pdf: await renderPdf(reportDocument(content)) };
    });
  }

  async closing(principal: Principal, episodeId: string, now: Date): Promise<ReportFile> {
    const patientId = await this.episodes.patientOf(episodeId);
    const audit = { action: 'report.closing', target: { type: 'episode', id: episodeId } };
    return this.access.read(principal, patientId, audit, async (patient, note) => {
      const episode = (await this.episodes.listOf(patient)).find((e) => e.id === episodeId);
      if (!episode) throw AppError.notFound('episode');
      if (episode.status !== 'ended' || !episode.endDate) throw new AppError('EPISODE_NOT_ENDED', 'the episode is still active: its closing report exists once it has ended');
      const period = { from: episode.startDate, to: episode.endDate };
      note({ from: period.from, to: period.to });
      const content = await this.content(principal, patient, episode, 'closing', monthsBetween(period.from, period.to), period, now);
      return { fileName: `closing-report-${episode.startDate}-${episode.endDate}-${patient.id.slice(0, 8)}.pdf`, pdf: await renderPdf(reportDocument(content)) };
    });
  }

  /** The last day an episode counts: its end date, else today's therapy day (as compliance counts). */
  lastDay(patient: VisiblePatient, episode: EpisodeDto, now: Date): string {
    const today = therapyDayOf(now.getTime(), patient.timezone);
    return episode.endDate && episode.endDate < today ? episode.endDate : today;
  }

  private async content(
    principal: Principal,
    patient: VisiblePatient,
    episode: EpisodeDto,
    kind: ReportContent['kind'],
    months: string[],
    period: { from: string; to: string },
    now: Date,
  ): Promise<ReportContent> {
    const [identity, compliance] = await Promise.all([this.names.identity(patient), this.episodes.complianceOf(patient, episode, now)]);
    const sections: Array<Omit<ReportMonth, 'thresholds' | 'reviews'> & { raw: Awaited<ReturnType<ReportsService['monthData']>> }> = [];
    for (const month of months) {
      const m = calendarMonth(month, patient.timezone);
      const from = period.from > m.from ? period.from : m.from;
      const to = period.to < m.to ? period.to : m.to;
      const raw = await this.monthData(patient, from, to, m.window, now);
      sections.push({
        month,
        from,
        to,
        days: raw.days,
        nights: raw.nights,
        alerts: raw.alerts,
        compliance: raw.compliance,
        episodeMonths: compliance.filter((c) => c.from <= to && c.to >= from),
        chartSvg: await dailyChartsSvg(raw.days, from, to),
        raw,
      });
    }
    const userIds = [
      principal.userId,
      episode.prescriberId,
      ...sections.flatMap((s) => [...s.raw.thresholds.changes.map((c) => c.by), ...s.raw.reviews.map((r) => r.authorId)]),
    ];
    const [users, teams] = await Promise.all([this.names.userNames(userIds), this.names.teamNames([patient.careTeamId])]);
    const name = (id: string | null) => (id ? (users.get(id) ?? 'unknown user') : 'the system');
    return {
      kind,
      operator: teams.get(patient.careTeamId) ?? '—',
      patient: { displayName: patient.displayName, birthDate: identity.birthDate, identityStatus: identity.identityStatus, ins: shareableIns(identity), timezone: patient.timezone },
      prescriber: episode.prescriberId ? name(episode.prescriberId) : null,
      episode,
      period,
      generatedAt: now,
      generatedBy: name(principal.userId),
      productVersion: this.productVersion,
      months: sections.map(({ raw, ...s }) => ({
        ...s,
        thresholds: { atStart: raw.thresholds.atStart, changes: raw.thresholds.changes.map((c) => ({ ...c, byName: name(c.by) })) },
        reviews: raw.reviews.map((r) => ({ ...r, authorName: name(r.authorId) })),
      })),
    };
  }

  /** One month of a report: the active days [from, to] of the episode in it, whose instants are `window`. */
  private async monthData(patient: VisiblePatient, from: string, to: string, window: { start: number; end: number }, now: Date) {
    const dates = activeDays(from, to, from, to);
    const start = new Date(window.start);
    const end = new Date(window.end);
    // Nights are named by their evening: up to last night at most (tonight is not over).
    const lastNight = [to, addCalendarDays(localDateOf(now.getTime(), patient.timezone), -1)].sort()[0]!;
    const nightCount = activeDays(from, lastNight, from, lastNight).length;
    const [days, nights, alerts, handling, thresholds, reviews] = await Promise.all([
      dates.length ? this.days.daysOf(patient, dates.length, now, to) : Promise.resolve([]),
      nightCount ? this.nights.compute(patient, nightCount, now, lastNight) : Promise.resolve([]),
      this.alerts.activeDuringOf(patient, start, end),
      this.handling.handlingOf(patient, start, end),
      this.thresholds.historyOf(patient, start, end),
      this.reviews.listOf(patient),
    ]);
    const byAlert = new Map(handling.map((h) => [h.alertId, h]));
    const oldestFirst = [...days].reverse();
    const daysWithData = oldestFirst.filter((d) => d.dataReceived).length;
    const { ratio, met } = complianceMet(daysWithData, oldestFirst.length);
    return {
      days: oldestFirst,
      nights,
      alerts: alerts.map((alert) => ({ alert, handling: byAlert.get(alert.id) })),
      compliance: { days: oldestFirst.length, daysWithData, ratio, met },
      thresholds,
      reviews: reviews.filter((r) => Date.parse(r.at) >= window.start && Date.parse(r.at) < window.end).reverse(),
    };
  }
}
