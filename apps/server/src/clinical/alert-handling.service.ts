import { Injectable } from '@nestjs/common';
import { PatientAccessService, type VisiblePatient } from '../access/patient-access.service.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { assertFromBeforeTo } from '../common/instant.js';
import { AlertHandlingRepository, type AlertHandlingView } from './alert-handling.repository.js';

export type { AlertActorView, AlertHandlingEventView, AlertHandlingView } from './alert-handling.repository.js';

/** At most this span per request: a year of a patient's alerts with their events stays small. */
export const MAX_ALERT_HANDLING_DAYS = 400;

/**
 * Who handled a patient's alerts and what they wrote: the names behind acknowledgedBy / resolvedBy
 * (user ids in the alert view) and the notes of the alert events, which GET /api/alerts does not
 * carry. Same period semantics as GET /api/alerts?from=&to= (alerts active during [from, to)).
 */
@Injectable()
export class AlertHandlingService {
  constructor(
    private readonly access: PatientAccessService,
    private readonly repository: AlertHandlingRepository,
  ) {}

  async read(principal: Principal, patientId: string, q: { from: Date; to: Date }): Promise<AlertHandlingView[]> {
    const details = { from: q.from.toISOString(), to: q.to.toISOString() };
    return this.access.read(principal, patientId, { action: 'patient.alert_handling.read', details }, async (patient, note) => {
      assertFromBeforeTo(q.from, q.to);
      if (q.to.getTime() - q.from.getTime() > MAX_ALERT_HANDLING_DAYS * 86_400_000) {
        throw new AppError('RANGE_TOO_LARGE', `at most ${MAX_ALERT_HANDLING_DAYS} days per request`, { maxDays: MAX_ALERT_HANDLING_DAYS });
      }
      const handling = await this.handlingOf(patient, q.from, q.to);
      note({ count: handling.length });
      return handling;
    });
  }

  /** The handling of the alerts active during [from, to) of a patient the caller was given access to. */
  async handlingOf(patient: VisiblePatient, from: Date, to: Date): Promise<AlertHandlingView[]> {
    return this.repository.handling(patient, from, to);
  }
}
