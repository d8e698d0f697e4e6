import { Injectable } from '@nestjs/common';
import { addCalendarDays, recentTherapyDays, therapyDayWindow } from '#domain';
import { PatientAccessService, type VisiblePatient } from '../access/patient-access.service.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { MAX_THERAPY_DAYS, type TherapyDayDto } from './episodes.dto.js';
import { TherapyDataRepository, type DayAggregates } from './therapy-data.repository.js';

const round = (x: number | null | undefined, digits: number): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits;

interface DeviceKinds {
  ventilator: boolean;
  concentrator: boolean;
}

/**
 * One day's indicators from its aggregates. Session summaries win over samples where the
 * session carries the value (leakMedian/leakMean, o2UsageHours/o2FlowMean); respiratory rate
 * comes from the samples, else from the sessions' medians weighted by their hours. A field is null
 * where its device kind is absent (no ventilator: no ventilation hours; no concentrator and no O2
 * flow data: no O2 hours) or where there is nothing to average.
 */
export function dayIndicators(day: string, dataReceived: boolean, a: DayAggregates, kinds: DeviceKinds): Omit<TherapyDayDto, 'ventilationHoursChange'> {
  const ventilationHours = a.ventilatorSessions > 0 ? a.ventilationHours : kinds.ventilator ? 0 : null;
  // O2 hours from samples: the minutes with a flow above 0 (robust to the sampling rate, ≥ 1/min).
  const o2Hours = a.oxygenSessions > 0 ? a.o2SessionHours : a.o2FlowSamples > 0 ? a.o2FlowMinutes / 60 : kinds.concentrator ? 0 : null;
  return {
    day,
    dataReceived,
    ventilationHours: round(ventilationHours, 2),
    respRateMean: round(a.respRateSamples > 0 ? a.respRateMean : a.sessionRespRate, 1),
    leakMedian: round(a.sessionLeakMedian ?? a.leakMedian, 1),
    leakMean: round(a.sessionLeakMean ?? a.leakMean, 1),
    o2Hours: round(o2Hours, 2),
    o2FlowMean: round(a.sessionO2FlowMean ?? a.o2FlowMean, 2),
    spo2Mean: round(a.spo2Mean, 1),
  };
}

/** Daily indicators per therapy day (noon to noon, patient time zone): GET /api/patients/:id/days. */
@Injectable()
export class TherapyDaysService {
  constructor(
    private readonly access: PatientAccessService,
    private readonly data: TherapyDataRepository,
  ) {}

  async days(principal: Principal, patientId: string, q: { days: number; until?: string }, now: Date): Promise<TherapyDayDto[]> {
    const count = q.days;
    const details = { days: count, ...(q.until ? { until: q.until } : {}) };
    return this.access.read(principal, patientId, { action: 'patient.days.read', details }, async (patient) => {
      if (count < 1 || count > MAX_THERAPY_DAYS) throw new AppError('RANGE_TOO_LARGE', `1 to ${MAX_THERAPY_DAYS} days`, { maxDays: MAX_THERAPY_DAYS });
      return this.daysOf(patient, count, now, q.until);
    });
  }

  /**
   * The `count` therapy days ending with `until` (default: the one in progress), newest first, of
   * a patient the caller was given access to (the scope is the proof): the one query of /days and
   * of the reports.
   */
  async daysOf(patient: VisiblePatient, count: number, now: Date, until?: string): Promise<TherapyDayDto[]> {
    // One day more than asked: the oldest day's change is against the day before it.
    const days = until
      ? Array.from({ length: count + 1 }, (_, i) => addCalendarDays(until, -i))
      : recentTherapyDays(now.getTime(), patient.timezone, count + 1);
    const windows = days.map((d) => therapyDayWindow(d, patient.timezone));
    const devices = await this.data.devices(patient);
    const [received, aggregates] = await Promise.all([this.data.daysWithData(patient, devices.ids, windows), this.data.aggregates(patient, devices.ids, windows)]);
    const kinds = { ventilator: devices.kinds.has('ventilator'), concentrator: devices.kinds.has('concentrator') };
    const rows = days.map((d, i) => dayIndicators(d, received[i]!, aggregates[i]!, kinds));
    return rows.slice(0, count).map((row, i) => {
      const before = rows[i + 1]!.ventilationHours;
      const change = row.ventilationHours !== null && before !== null ? round(row.ventilationHours - before, 2) : null;
      return { ...row, ventilationHoursChange: change };
    });
  }
}
