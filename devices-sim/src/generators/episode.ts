import type { DeliveryBehaviour, EpisodeDefinition } from '../scenarios/scenario-catalogue.js';

/** 0 before and after the episode, rising to 1 over the ramp down, 1 during the hold, back to 0. */
export function episodeWeight(episode: EpisodeDefinition, eventAt: number, at: number): number {
  let t = at - eventAt;
  if (t < 0) return 0;
  if (t < episode.rampDownMs) return t / episode.rampDownMs;
  t -= episode.rampDownMs;
  if (t < episode.holdMs) return 1;
  t -= episode.holdMs;
  if (t < episode.rampUpMs) return 1 - t / episode.rampUpMs;
  return 0;
}

export interface Interval {
  start: number;
  end: number;
}

/** Where the device is offline (offline-backlog): from eventAt − d/4 to eventAt + 3d/4. */
export function offlineWindow(delivery: DeliveryBehaviour, eventAt: number, offlineMs?: number): Interval | undefined {
  if (delivery.kind !== 'offline') return undefined;
  const d = offlineMs ?? delivery.durationMs;
  return { start: eventAt - d / 4, end: eventAt + (3 * d) / 4 };
}
