import { SESSION_FIELD_NAMES, type SessionField } from '#domain';
import type { ParsedSample, ParsedSession, RejectionReason, StatusPayload } from '#protocol';
import type { StoredDeviceBatch } from '../events/stored-readings.js';
import { patientAt, type DeviceInfo } from './ingest-device.repository.js';
import type { InflightMessage } from './inflight-message.js';

/** Longest topic kept in a rejection row (a topic may be up to 64 KiB). */
const MAX_TOPIC_CHARS = 256;

export interface StatusUpdate {
  online: boolean;
  battery: number | null;
  firmware: string | null;
  /** Server receive time (epoch ms): a status older than the stored one is ignored. */
  at: number;
}

/**
 * Everything a group of messages will write, as column arrays for `unnest`: readings rows,
 * ventilation sessions, dead letters and device status updates. One batch is one statement,
 * one commit. Appending allocates nothing per row beyond the array slots.
 */
export class IngestBatch {
  /** Order of sealing; the rules receive batches in this order. Set by the batcher. */
  seq = 0;
  /** A dead-letter-only batch written because the message's data could not be stored. */
  lastResort = false;
  /** Sum of the messages' back-pressure weights. */
  weight = 0;
  readonly messages: InflightMessage[] = [];

  // readings (device_id, metric, time, patient_id, value, signal_ok)
  readonly deviceIds: string[] = [];
  readonly metrics: string[] = [];
  readonly times: number[] = [];
  readonly patientIds: string[] = [];
  readonly values: number[] = [];
  readonly signalOk: boolean[] = [];
  /** Samples (not rows) that passed validation. */
  acceptedSamples = 0;

  // night_sessions
  readonly sessionDeviceIds: string[] = [];
  readonly sessionStarts: number[] = [];
  readonly sessionEnds: number[] = [];
  readonly sessionPatientIds: string[] = [];
  readonly sessionValues: Record<SessionField, (number | null)[]> = Object.fromEntries(
    SESSION_FIELD_NAMES.map((f) => [f, []]),
  ) as unknown as Record<SessionField, (number | null)[]>;

  // rejections (device_id, topic, reason, detail, received_at, excerpt)
  readonly rejectionDeviceIds: (string | null)[] = [];
  readonly rejectionTopics: string[] = [];
  readonly rejectionReasons: RejectionReason[] = [];
  readonly rejectionDetails: (string | null)[] = [];
  readonly rejectionTimes: number[] = [];
  readonly rejectionExcerpts: (string | null)[] = [];

  /** Rejections by reason, for the metrics (also those summarised in one row). */
  readonly rejectionCounts = new Map<RejectionReason, number>();

  /** Latest status per device in this batch. */
  readonly statuses = new Map<string, StatusUpdate>();

  /** Receive time of the newest readings message per device (devices.last_seen_at). */
  readonly lastSeen = new Map<string, number>();

  /**
   * Per device, what the rules receive after the commit. Always collected (one array slot per
   * sample): whether anybody listens is only known when the batch is committed.
   */
  private readonly groups = new Map<string, StoredDeviceBatch>();

  /** Rows, sessions, dead letters and statuses: what the size limit counts. */
  get size(): number {
    return this.values.length + this.sessionStarts.length + this.rejectionReasons.length + this.statuses.size;
  }

  get rowCount(): number {
    return this.values.length;
  }

  get isEmpty(): boolean {
    return this.messages.length === 0;
  }

  addMessage(message: InflightMessage): void {
    this.messages.push(message);
    this.weight += message.weight;
  }

  /**
   * A sample goes to the patient the device was assigned to at its time (patientAt); the rules
   * see the current patient's samples only (a late sample of an earlier patient is stored with
   * that patient, not evaluated live).
   */
  addSamples(device: DeviceInfo, samples: readonly ParsedSample[], receivedAt: number): void {
    const { deviceId } = device;
    const reassigned = device.since !== undefined;
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i]!;
      const patientId = reassigned ? patientAt(device, sample.at) : device.patientId;
      const values = sample.values as Record<string, number>;
      for (const metric in values) {
        this.deviceIds.push(deviceId);
        this.metrics.push(metric);
        this.times.push(sample.at);
        this.patientIds.push(patientId);
        this.values.push(values[metric]!);
        this.signalOk.push(sample.signalOk);
      }
    }
    this.acceptedSamples += samples.length;
    const seen = this.lastSeen.get(deviceId);
    if (seen === undefined || seen < receivedAt) this.lastSeen.set(deviceId, receivedAt);
    if (samples.length > 0) {
      const group = this.group(device);
      for (let i = 0; i < samples.length; i++) if (!reassigned || samples[i]!.at >= device.since!) group.samples.push(samples[i]!);
    }
  }

  addSessions(device: DeviceInfo, sessions: readonly ParsedSession[]): void {
    for (const session of sessions) {
      this.sessionDeviceIds.push(device.deviceId);
      this.sessionStarts.push(session.start);
      this.sessionEnds.push(session.end);
      this.sessionPatientIds.push(patientAt(device, session.start));
      for (const field of SESSION_FIELD_NAMES) this.sessionValues[field].push(session.values[field] ?? null);
    }
    if (sessions.length > 0) {
      const group = this.group(device);
      for (const s of sessions) if (device.since === undefined || s.start >= device.since) group.sessions.push(s);
    }
  }

  addRejection(deviceId: string | null, topic: string, reason: RejectionReason, detail: string | null, receivedAt: number, excerpt: string | null): void {
    this.rejectionDeviceIds.push(deviceId);
    this.rejectionTopics.push(topic.length > MAX_TOPIC_CHARS ? topic.slice(0, MAX_TOPIC_CHARS) : topic);
    this.rejectionReasons.push(reason);
    this.rejectionDetails.push(detail);
    this.rejectionTimes.push(receivedAt);
    this.rejectionExcerpts.push(excerpt);
    this.countRejection(reason, 1);
  }

  countRejection(reason: RejectionReason, count: number): void {
    this.rejectionCounts.set(reason, (this.rejectionCounts.get(reason) ?? 0) + count);
  }

  /** Keeps the most recent status per device (by receive time; on a tie, the later arrival). */
  addStatus(deviceId: string, status: StatusPayload, receivedAt: number): void {
    const current = this.statuses.get(deviceId);
    if (current && current.at > receivedAt) return;
    this.statuses.set(deviceId, {
      online: status.online,
      battery: status.battery ?? null,
      firmware: status.firmware ?? null,
      at: receivedAt,
    });
  }

  /**
   * What the rules receive: one entry per device, samples and sessions in ascending time order
   * (a backlog arrives the same way). Every sample that passed validation is included, also one
   * already stored before (a redelivery): the rules are idempotent for duplicates.
   */
  storedBatches(): StoredDeviceBatch[] {
    const out: StoredDeviceBatch[] = [];
    for (const group of this.groups.values()) {
      sortByTime(group.samples, (s) => s.at);
      sortByTime(group.sessions, (s) => s.start);
      out.push(group);
    }
    return out;
  }

  private group(device: DeviceInfo): StoredDeviceBatch {
    let group = this.groups.get(device.deviceId);
    if (!group) {
      group = { deviceId: device.deviceId, patientId: device.patientId, kind: device.kind, samples: [], sessions: [] };
      this.groups.set(device.deviceId, group);
    }
    return group;
  }
}

/** Sorts in place, stable, only when needed (devices usually send in order). */
export function sortByTime<T>(items: T[], time: (item: T) => number): void {
  for (let i = 1; i < items.length; i++) {
    if (time(items[i]!) < time(items[i - 1]!)) {
      items.sort((a, b) => time(a) - time(b));
      return;
    }
  }
}
