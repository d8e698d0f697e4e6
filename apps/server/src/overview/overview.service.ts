import { Injectable } from '@nestjs/common';
import { PatientAccessService } from '../access/patient-access.service.js';
import { AlertRepository } from '../alerts/alert.repository.js';
import type { Principal } from '../auth/principal.js';
import { NightsService } from '../clinical/nights.service.js';
import { EpisodesService } from '../episodes/episodes.service.js';
import { nightIndicators } from './overview-indicators.js';
import type { PatientOverviewDto } from './overview.dto.js';
import { OverviewRepository } from './overview.repository.js';

/** The nights the 7-day figures cover: the 7 ending with the one that began yesterday evening. */
export const OVERVIEW_NIGHTS = 7;

/**
 * The population view (GET /api/patients/overview): the console's patient list (episode, alerts
 * on/off, transmission check, last review: EpisodesService's computation) joined with the 7-day
 * night figures (the /nights computation, NightsService.compute), the unresolved alerts and the
 * newest data. One audited list read.
 */
@Injectable()
export class OverviewService {
  constructor(
    private readonly access: PatientAccessService,
    private readonly episodes: EpisodesService,
    private readonly nights: NightsService,
    private readonly alerts: AlertRepository,
    private readonly repository: OverviewRepository,
  ) {}

  async overview(principal: Principal, now: Date): Promise<PatientOverviewDto[]> {
    return this.access.readList(
      principal,
      { action: 'patient.overview.list' },
      async (patients, note) => {
        const [list, alerts, lastData] = await Promise.all([
          this.episodes.telemonitoredRowsOf(patients, now),
          this.alerts.unresolvedCountsOf(patients),
          this.repository.lastDataAt(patients),
        ]);
        // The nights are computed per patient, one after the other (a few queries each, the
        // oximetry from its cache): the /nights code as is, not a batched copy of it.
        const rows: PatientOverviewDto[] = [];
        for (const [i, patient] of patients.entries()) {
          const base = list[i]!;
          const figures = nightIndicators(await this.nights.compute(patient, OVERVIEW_NIGHTS, now));
          const open = alerts.get(patient.id) ?? { total: 0, critical: 0, warning: 0, info: 0 };
          rows.push({
            patientId: patient.id,
            displayName: patient.displayName,
            lastDataAt: lastData.get(patient.id)?.toISOString() ?? null,
            openAlerts: open.total,
            openAlertsBySeverity: { critical: open.critical, warning: open.warning, info: open.info },
            ...figures,
            compliance: base.compliance,
            lastReviewAt: base.lastReviewAt,
            reviewOverdue: base.reviewOverdue,
            alertsOn: base.alertsOn,
            episode: base.episode,
          });
        }
        note({ count: rows.length, nights: OVERVIEW_NIGHTS });
        return rows;
      },
      (rows) => rows.map((r) => r.patientId),
    );
  }
}
