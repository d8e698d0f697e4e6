import type { RuleDecision } from './decision.js';
import type { RuleSettings } from './parameters.js';

/**
 * device.silent: an active device that has sent nothing for `infoAfterHours` (info), raised to a
 * warning after `warningAfterHours`. Driven by the scheduler on server time (when the backend last
 * heard from the device), not by incoming data. The episode is identified by the time the device
 * was last heard, so the scheduler can run as often as it likes: the same silence is one alert.
 */
export function evaluateDeviceSilence(deviceId: string, lastHeardAt: number, now: number, settings: RuleSettings): RuleDecision | null {
  const p = settings['device.silent'];
  if (!p.enabled) return null;
  const hours = (now - lastHeardAt) / 3_600_000;
  if (hours < p.infoAfterHours) return null;
  const warning = hours >= p.warningAfterHours;
  const crossed = warning ? p.warningAfterHours : p.infoAfterHours;
  return {
    kind: 'raise',
    rule: 'device.silent',
    severity: warning ? 'warning' : 'info',
    startedAt: lastHeardAt,
    at: lastHeardAt + crossed * 3_600_000,
    value: Math.floor(hours),
    threshold: crossed,
    message: `No data from device ${deviceId} for ${Math.floor(hours)} h`,
    news2Spo2Score: null,
  };
}

/** The device spoke again: the silence is over. */
export function deviceSpokeAgain(deviceId: string, lastHeardAt: number): RuleDecision {
  return {
    kind: 'clear',
    rule: 'device.silent',
    severity: 'info',
    startedAt: lastHeardAt,
    at: lastHeardAt,
    value: null,
    threshold: null,
    message: `Device ${deviceId} is sending data again`,
    news2Spo2Score: null,
  };
}
