import type { DeviceKind, SampleMetric, SessionField } from '#domain';

/** One sample as committed: its own clinical time (epoch ms) and the metric values it carried. */
export interface StoredSample {
  at: number;
  values: Partial<Record<SampleMetric, number>>;
  /** false: motion / poor signal. Stored, but rules and summaries ignore it. */
  signalOk: boolean;
}

export interface StoredSession {
  start: number;
  end: number;
  values: Partial<Record<SessionField, number>>;
}

/**
 * What ingestion hands to the rules after a commit: one entry per device, samples in ascending
 * time order (a late backlog arrives the same way, in its own time order).
 */
export interface StoredDeviceBatch {
  deviceId: string;
  patientId: string;
  kind: DeviceKind;
  samples: StoredSample[];
  sessions: StoredSession[];
}
