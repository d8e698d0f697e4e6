import { Inject, Injectable } from '@nestjs/common';
import { complianceMet, episodeMonths, localDateOf, reviewDue, therapyDayOf, therapyDayWindow } from '#domain';
import { isUuid, PatientAccessService, type VisiblePatient } from '../access/patient-access.service.js';
import { AuditService, actorOf } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { TransactionRunner } from '../database/transaction.js';
import { CareTeamMemberRepository } from './care-team-member.repository.js';
import type { EpisodeEntity } from './episode.entities.js';
import { EpisodeRepository } from './episode.repository.js';
import type { ComplianceDto, CreateEpisodeDto, EndEpisodeDto, EpisodeDto, TelemonitoredPatientDto } from './episodes.dto.js';
import { ReviewRepository } from './review.repository.js';
import { TherapyDataRepository } from './therapy-data.repository.js';

export function episodeView(e: EpisodeEntity): EpisodeDto {
  return {
    id: e.id,
    patientId: e.patientId,
    indication: e.indication,
    prescriberId: e.prescriberId,
    startDate: e.startDate,
    plannedEndDate: e.plannedEndDate,
    status: e.status,
    endDate: e.endDate,
    endReason: e.endReason,
    origin: e.origin,
  };
}

/**
 * Telemonitoring episodes (the prescription, CONTRACT.md §6): at most one active per patient,
 * prescribed by a physician of the patient's care team; every change audited in its transaction.
 */
@Injectable()
export class EpisodesService {
  constructor(
    private readonly access: PatientAccessService,
    private readonly audit: AuditService,
    private readonly tx: TransactionRunner,
    private readonly episodes: EpisodeRepository,
    private readonly members: CareTeamMemberRepository,
    private readonly data: TherapyDataRepository,
    private readonly reviews: ReviewRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(principal: Principal, patientId: string, body: CreateEpisodeDto): Promise<EpisodeDto> {
    return this.access.write(principal, patientId, { action: 'episode.create' }, async (patient) => {
      if (body.plannedEndDate && body.plannedEndDate < body.startDate) {
        throw new AppError('EPISODE_DATES_INVALID', 'plannedEndDate is before startDate');
      }
      if (!(await this.members.isActivePhysicianOf(body.prescriberId, patient.careTeamId))) {
        throw new AppError('PRESCRIBER_INVALID', "prescriberId is not an active physician of the patient's care team");
      }
      return this.tx.run(async (tx) => {
        const created = await this.episodes.insert(tx.manager, patient, {
          indication: body.indication,
          prescriberId: body.prescriberId,
          startDate: body.startDate,
          plannedEndDate: body.plannedEndDate ?? null,
          createdBy: principal.userId,
        });
        await this.audit.record(
          {
            action: 'episode.create',
            actor: actorOf(principal),
            patientId: patient.id,
            targetType: 'episode',
            targetId: created.id,
            details: { indication: created.indication, prescriberId: created.prescriberId, startDate: created.startDate, plannedEndDate: created.plannedEndDate },
          },
          tx,
        );
        return episodeView(created);
      });
    });
  }

  async list(principal: Principal, patientId: string): Promise<EpisodeDto[]> {
    return this.access.read(principal, patientId, { action: 'episode.list' }, async (patient, note) => {
      const rows = await this.episodes.listOfPatient(patient);
      note({ count: rows.length });
      return rows.map(episodeView);
    });
  }

  async end(principal: Principal, episodeId: string, body: EndEpisodeDto, now: Date): Promise<EpisodeDto> {
    const patientId = await this.patientOf(episodeId);
    const audit = { action: 'episode.end', target: { type: 'episode', id: episodeId } };
    return this.access.write(principal, patientId, audit, async (patient) => {
      const today = localDateOf(now.getTime(), patient.timezone);
      return this.tx.run(async (tx) => {
        const episode = await this.episodes.findOfPatient(patient, episodeId, tx.manager);
        if (!episode) throw AppError.notFound('episode');
        if (episode.status !== 'active') throw new AppError('EPISODE_ALREADY_ENDED', 'the episode has already ended');
        const endDate = body.endDate ?? today;
        if (endDate < episode.startDate) throw new AppError('EPISODE_DATES_INVALID', 'endDate is before the start date');
        if (endDate > today) throw new AppError('EPISODE_DATES_INVALID', "endDate is after today (patient's time zone)");
        if (!(await this.episodes.end(tx.manager, patient, episodeId, { endDate, reason: body.reason, endedBy: principal.userId, at: now }))) {
          throw new AppError('EPISODE_ALREADY_ENDED', 'the episode has already ended');
        }
        await this.audit.record(
          { action: 'episode.end', actor: actorOf(principal), patientId: patient.id, targetType: 'episode', targetId: episodeId, details: { endDate } },
          tx,
        );
        return episodeView((await this.episodes.findOfPatient(patient, episodeId, tx.manager))!);
      });
    });
  }

  /**
   * The transmission check of each month of the episode (CONTRACT.md §6): days with data, by the
   * same definition as GET /days' dataReceived (TherapyDataRepository.daysWithData). "Today" is the
   * therapy day in progress (before noon, yesterday's date).
   */
  async compliance(principal: Principal, episodeId: string, now: Date): Promise<ComplianceDto> {
    const patientId = await this.patientOf(episodeId);
    const audit = { action: 'episode.compliance.read', target: { type: 'episode', id: episodeId } };
    return this.access.read(principal, patientId, audit, async (patient) => {
      const episode = await this.episodes.findOfPatient(patient, episodeId);
      if (!episode) throw AppError.notFound('episode');
      return { months: await this.complianceOf(patient, episode, now) };
    });
  }

  /**
   * The console's patient list: for each patient of the caller's teams, whether alerts are on (an
   * active episode), the transmission check of the episode's current month (the same computation
   * as GET compliance, for that month only) and the last review, with "review overdue" after the
   * operator's cadence (REVIEW_CADENCE_DAYS). One audited list read.
   */
  async telemonitoredPatients(principal: Principal, now: Date): Promise<TelemonitoredPatientDto[]> {
    return this.access.readList(
      principal,
      { action: 'patient.telemonitoring.list' },
      async (patients, note) => {
        const rows = await this.telemonitoredRowsOf(patients, now);
        note({ count: rows.length, reviewCadenceDays: this.config.reviewCadenceDays });
        return rows;
      },
      (rows) => rows.map((r) => r.patientId),
    );
  }

  /**
   * The rows of the console's patient list for patients the caller was given access to (the
   * scope is the proof): the one computation of GET /api/telemonitoring/patients and of the
   * population view (GET /api/patients/overview).
   */
  async telemonitoredRowsOf(patients: readonly VisiblePatient[], now: Date): Promise<TelemonitoredPatientDto[]> {
    const [active, lastReviews] = await Promise.all([this.episodes.activeOfPatients(patients), this.reviews.lastOfPatients(patients)]);
    const rows: TelemonitoredPatientDto[] = [];
    for (const patient of patients) {
      const episode = active.get(patient.id) ?? null;
      const lastReview = lastReviews.get(patient.id) ?? null;
      const current = episode ? (await this.complianceOf(patient, episode, now, { currentOnly: true }))[0] ?? null : null;
      const due = episode ? reviewDue(lastReview?.getTime() ?? null, therapyDayWindow(episode.startDate, patient.timezone).start, this.config.reviewCadenceDays, now.getTime()) : null;
      rows.push({
        patientId: patient.id,
        displayName: patient.displayName,
        episode: episode ? episodeView(episode) : null,
        alertsOn: episode !== null,
        compliance: current,
        belowTransmissionCheck: current !== null && current.days > 0 && !current.met,
        lastReviewAt: lastReview?.toISOString() ?? null,
        reviewDueAt: due ? new Date(due.dueAt).toISOString() : null,
        reviewOverdue: due?.overdue ?? false,
      });
    }
    return rows;
  }

  /** The episodes of a patient the caller was given access to, newest first. */
  async listOf(patient: VisiblePatient): Promise<EpisodeDto[]> {
    return (await this.episodes.listOfPatient(patient)).map(episodeView);
  }

  /** The episodes of these patients whose dates overlap [from, to] (dates), by patient then start. */
  async overlappingOf(patients: readonly VisiblePatient[], from: string, to: string): Promise<EpisodeDto[]> {
    return (await this.episodes.overlapping(patients, from, to)).map(episodeView);
  }

  /**
   * Whether each of these therapy days had data (the definition of /days' dataReceived and of the
   * compliance months), for a patient the caller was given access to.
   */
  async daysWithDataOf(patient: VisiblePatient, days: readonly string[]): Promise<boolean[]> {
    const devices = await this.data.devices(patient);
    return this.data.daysWithData(
      patient,
      devices.ids,
      days.map((d) => therapyDayWindow(d, patient.timezone)),
    );
  }

  /** The compliance months (CONTRACT.md §6) of an episode of a patient the caller was given access to. */
  async complianceOf(
    patient: VisiblePatient,
    episode: Pick<EpisodeEntity, 'startDate' | 'endDate'>,
    now: Date,
    opts: { currentOnly?: boolean } = {},
  ): Promise<ComplianceDto['months']> {
    const today = therapyDayOf(now.getTime(), patient.timezone);
    const lastDay = episode.endDate && episode.endDate < today ? episode.endDate : today;
    const all = episodeMonths(episode.startDate, lastDay);
    const months = opts.currentOnly ? all.slice(-1) : all;
    const days = months.flatMap((m) => m.countedDays);
    const withData = await this.daysWithDataOf(patient, days);
    const byDay = new Map(days.map((d, i) => [d, withData[i]!]));
    return months.map((m) => {
      const daysWithData = m.countedDays.filter((d) => byDay.get(d)).length;
      const { ratio, met } = complianceMet(daysWithData, m.countedDays.length);
      return { month: m.month, from: m.from, to: m.to, days: m.countedDays.length, daysWithData, ratio: Math.round(ratio * 1000) / 1000, met };
    });
  }

  /** Demo seeding: an active episode for each patient without one (audited as the system's). */
  async seedActive(patientIds: readonly string[]): Promise<number> {
    return this.tx.run(async (tx) => {
      const created = await this.episodes.seedActive(tx.sql, patientIds);
      for (const e of created) {
        await this.audit.record({ action: 'episode.create', actor: null, patientId: e.patientId, targetType: 'episode', targetId: e.id, details: { seed: 'demo' } }, tx);
      }
      return created.length;
    });
  }

  /** The patient of an episode, for the access gate; an unknown episode is a 404 like a hidden one. */
  async patientOf(episodeId: string): Promise<string> {
    const patientId = isUuid(episodeId) ? await this.episodes.patientOf(episodeId) : undefined;
    if (!patientId) throw AppError.notFound('episode');
    return patientId;
  }
}
