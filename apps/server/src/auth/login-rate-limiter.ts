/**
 * Fixed one-minute windows of login attempts per client address and per username, in memory
 * (per process: with N API processes an address gets up to N × the limit). Every attempt counts,
 * successful or not: besides password guessing, each attempt costs an argon2 verification
 * (~20 ms, 19 MiB), so the limit also bounds that cost. The per-account lock-out after repeated
 * failures (AuthService) is separate and stays in the database.
 */
export interface RateLimitVerdict {
  allowed: boolean;
  /** Which limit refused the attempt. */
  scope?: 'ip' | 'username';
  /** Seconds until the window that refused the attempt ends. */
  retryAfterSeconds?: number;
  /** True for the first refused attempt of a window (every refused attempt is audited all the same). */
  firstRefusal?: boolean;
}

interface Window {
  start: number;
  count: number;
}

const WINDOW_MS = 60_000;
/** Bound on tracked keys per scope; the oldest windows are dropped first when it is reached. */
const MAX_KEYS = 50_000;

export class LoginRateLimiter {
  private readonly byIp = new Map<string, Window>();
  private readonly byUsername = new Map<string, Window>();

  constructor(
    private readonly limits: { perIp: number; perUsername: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt and says whether it may proceed. */
  hit(ip: string | undefined, username: string): RateLimitVerdict {
    const at = this.now();
    const ipVerdict = count(this.byIp, ip ?? 'unknown', this.limits.perIp, at);
    const userVerdict = count(this.byUsername, username.toLowerCase(), this.limits.perUsername, at);
    if (!ipVerdict.allowed) return { ...ipVerdict, scope: 'ip' };
    if (!userVerdict.allowed) return { ...userVerdict, scope: 'username' };
    return { allowed: true };
  }
}

function count(windows: Map<string, Window>, key: string, limit: number, at: number): RateLimitVerdict {
  let w = windows.get(key);
  if (!w || at - w.start >= WINDOW_MS) {
    windows.delete(key); // re-inserted last: the map stays in window-start order
    w = { start: at, count: 0 };
    windows.set(key, w);
    prune(windows, at);
  }
  w.count += 1;
  if (w.count <= limit) return { allowed: true };
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((w.start + WINDOW_MS - at) / 1000)), firstRefusal: w.count === limit + 1 };
}

function prune(windows: Map<string, Window>, at: number): void {
  for (const [key, w] of windows) {
    if (at - w.start < WINDOW_MS && windows.size <= MAX_KEYS) break;
    windows.delete(key);
  }
}
