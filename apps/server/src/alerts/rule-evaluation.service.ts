import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import {
  deviceSpokeAgain,
  effectiveSettings,
  evaluateDeviceSamples,
  addDays,
  GAP_SECONDS,
  lastCompleteNight,
  lookbackMs,
  nightEnd,
  nightKeyOf,
  restoreDeviceState,
  type DeviceRuleState,
  type RuleSettings,
} from '#rules';
import { StoredReadingsHub } from '../events/event-hubs.js';
import type { StoredDeviceBatch } from '../events/stored-readings.js';
import { AlertDecisionService, type DecisionTarget } from './alert-decision.service.js';
import { KeyedQueue } from './keyed-queue.js';
import { RuleDataRepository, type PatientRuleContext } from './rule-data.repository.js';
import { TrendRulesService } from './trend-rules.service.js';

interface DeviceEntry {
  /** The patient the windows are of: a device reassigned to another patient starts afresh. */
  patientId: string;
  state: DeviceRuleState;
  /** Server time this process last evaluated a batch of the device. */
  touchedAt: number;
}

/** A device idle this long is dropped from memory (rebuilt from the database when it speaks again). */
const EVICT_AFTER_MS = 60 * 60_000;
/** A backlog spans at most the backfill horizon (30 days by default): bounds the late days noted per batch. */
const MAX_LATE_DAYS = 400;
/** The smallest silence that can raise device.silent (its lowest accepted setting): below it, no check. */
const MIN_SILENCE_MS = 60 * 60_000;

/**
 * Feeds committed samples to the rules engine and persists its decisions.
 *
 * Subscribes to StoredReadingsHub (ingestion publishes after its commit). Keeps the window state
 * per device in memory; a device this process has not seen since it started (or evicted), or
 * sees again after more than a rule gap (another process may have stored the samples in between),
 * is rebuilt from the readings table first (the lookback before the batch's first sample) and from
 * the alerts table, so a restart or a second instance loses no window. A device's batches are
 * evaluated one at a time, in order. Patient thresholds are read with each batch, so a change
 * applies from the next sample, in every process. If persisting a decision fails, the device's
 * state is dropped: the next batch rebuilds it from the database and raises what is missing.
 */
@Injectable()
export class RuleEvaluationService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RuleEvaluation');
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly queue = new KeyedQueue();
  private unsubscribe: (() => void) | undefined;
  private lastSweep = 0;

  constructor(
    private readonly hub: StoredReadingsHub,
    private readonly data: RuleDataRepository,
    private readonly decisions: AlertDecisionService,
    private readonly trends: TrendRulesService,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.hub.subscribe((batches) => this.evaluate(batches));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Number of devices whose windows are in memory. */
  get cachedDevices(): number {
    return this.devices.size;
  }

  /** Forgets every device's windows (as a restart would). */
  forgetAll(): void {
    this.devices.clear();
  }

  /** Evaluates committed batches (samples ascending per device). Resolves when every decision is persisted. */
  async evaluate(batches: readonly StoredDeviceBatch[], now = Date.now()): Promise<void> {
    if (batches.length === 0) return;
    // The gate: only patients with an active episode come back (RuleDataRepository.patientContexts).
    const patients = await this.data.patientContexts([...new Set(batches.map((b) => b.patientId))]);
    const failures: unknown[] = [];
    await Promise.all(
      batches.map((batch) =>
        this.queue
          .run(batch.deviceId, () => this.evaluateDevice(batch, patients.get(batch.patientId), now))
          .catch((err: unknown) => {
            this.logger.error({ err, deviceId: batch.deviceId }, 'rule evaluation failed for a device batch');
            failures.push(err);
          }),
      ),
    );
    this.noteLateDays(batches, patients, now);
    // Ventilator sessions feed the night rules, a concentrator's the oxygen rules.
    for (const kind of ['ventilator', 'concentrator'] as const) {
      const withSessions = batches.filter((b) => b.kind === kind && b.sessions.length > 0 && patients.has(b.patientId));
      for (const patientId of new Set(withSessions.map((b) => b.patientId))) {
        const starts = withSessions.filter((b) => b.patientId === patientId).flatMap((b) => b.sessions.map((s) => s.start));
        try {
          await this.trends.onSessions(patientId, starts, kind, now);
        } catch (err) {
          this.logger.error({ err, patientId, kind }, 'night rules evaluation failed');
          failures.push(err);
        }
      }
    }
    this.sweep(now);
    if (failures.length > 0) throw failures[0];
  }

  /** Samples of days already complete (a backlog uploaded late): their day's oximetry.baseline is evaluated again. */
  private noteLateDays(batches: readonly StoredDeviceBatch[], patients: ReadonlyMap<string, PatientRuleContext>, now: number): void {
    for (const batch of batches) {
      const patient = patients.get(batch.patientId);
      const first = batch.samples[0];
      if (!patient || !first) continue;
      // Samples are ascending: live data starts in the current day and costs this one comparison.
      const lastComplete = lastCompleteNight(now, patient.timezone);
      const currentDayStart = nightEnd(lastComplete, patient.timezone);
      if (first.at >= currentDayStart) continue;
      let lastLate = first.at;
      for (const s of batch.samples) {
        if (s.at >= currentDayStart) break;
        lastLate = s.at;
      }
      // Every day from the first late sample's to the last one's (a day without data decides nothing).
      const days: string[] = [];
      const until = nightKeyOf(lastLate, patient.timezone);
      for (let day = nightKeyOf(first.at, patient.timezone); day <= until && days.length <= MAX_LATE_DAYS; day = addDays(day, 1)) days.push(day);
      this.trends.noteLateDays(patient.id, days);
    }
  }

  private async evaluateDevice(batch: StoredDeviceBatch, patient: PatientRuleContext | undefined, now: number): Promise<void> {
    if (!patient) {
      // No active episode (or an unknown patient): the samples are stored, the rules decide
      // nothing. The device's windows are dropped, so that once an episode starts they are
      // rebuilt from the stored readings (a run already under way then raises at once).
      this.devices.delete(batch.deviceId);
      this.logger.debug({ deviceId: batch.deviceId, patientId: batch.patientId }, 'no active episode: batch stored, not evaluated');
      return;
    }
    const settings = effectiveSettings(patient.profile, patient.overrides);
    const target: DecisionTarget = {
      patientId: patient.id,
      deviceId: batch.deviceId,
      profile: patient.profile,
      assumeOnOxygen: settings['spo2.high_on_o2'].assumeOnOxygen,
      settings,
    };
    let entry = this.devices.get(batch.deviceId);
    const firstSight = !entry;
    const quietFor = entry ? now - entry.touchedAt : Infinity;
    try {
      if (batch.samples.length > 0) {
        if (entry && (entry.patientId !== patient.id || afterGap(entry.state, batch))) entry = undefined;
        entry ??= await this.restore(batch, patient, settings, now);
        entry.touchedAt = now;
        const decided = evaluateDeviceSamples(entry.state, batch.samples, settings, patient.profile);
        let snoozed = false;
        for (const d of decided) await this.decisions.apply(target, d, () => (snoozed = true));
        // A raise a snooze suppressed is not told: the windows are rebuilt from the database on the
        // next batch, so a run still under way raises at its first sample after the snooze ends.
        if (snoozed) this.devices.delete(batch.deviceId);
      }
      // The device speaks: a device.silent alert is over. Only worth a look when this process has
      // not heard the device for longer than the shortest silence that can raise one.
      if (firstSight || quietFor >= MIN_SILENCE_MS) await this.decisions.apply(target, deviceSpokeAgain(batch.deviceId, now));
      if (entry) entry.touchedAt = now;
    } catch (err) {
      this.devices.delete(batch.deviceId); // rebuilt from the database on the next batch
      throw err;
    }
  }

  private async restore(batch: StoredDeviceBatch, patient: PatientRuleContext, settings: RuleSettings, now: number): Promise<DeviceEntry> {
    const first = batch.samples.reduce((m, s) => Math.min(m, s.at), Infinity);
    const [history, active] = await Promise.all([
      this.data.recentSamples(batch.deviceId, patient.id, first - lookbackMs(settings), first),
      this.data.activePointRules(patient.id, batch.deviceId),
    ]);
    const entry: DeviceEntry = { patientId: patient.id, state: restoreDeviceState(history, settings, patient.profile, active), touchedAt: now };
    this.devices.set(batch.deviceId, entry);
    this.logger.debug({ deviceId: batch.deviceId, samples: history.length, active: [...active] }, 'device windows rebuilt from the database');
    return entry;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [deviceId, entry] of this.devices) if (now - entry.touchedAt > EVICT_AFTER_MS) this.devices.delete(deviceId);
  }
}

/**
 * Whether the batch starts more than a rule gap after the newest sample this process has of the
 * device. With several ingest processes and a broker that spreads one device's messages over them
 * (round robin), the samples in between were most likely stored by another process: the windows
 * are rebuilt from the database instead of restarting at the gap (which would count a second
 * episode). With one process it is a real gap and costs one read per gap.
 */
function afterGap(state: DeviceRuleState, batch: StoredDeviceBatch): boolean {
  const last = state.live.lastAt;
  if (last === null) return false;
  const first = batch.samples.reduce((m, s) => Math.min(m, s.at), Infinity);
  return first - last > GAP_SECONDS * 1000;
}
