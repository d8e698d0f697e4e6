/**
 * Login throttling, in memory (per process: with N API processes each counts on its own), on
 * failures only: a successful login costs nothing, so a ward of nurses behind one NAT address is
 * never throttled by its own work (issue 21 point 2). Three scopes:
 *
 * - (username, source): after FAILURES_BEFORE_LOCK failures that pair is locked, first for
 *   `lockBaseSeconds`, and each further failure doubles it (up to MAX_LOCK_SECONDS). Only that
 *   source is locked out: a nurse at her own workstation is not affected by someone guessing her
 *   password elsewhere. A success clears the pair.
 * - source: at most `perIp` failures a minute from one address, whatever the usernames (spraying).
 * - username: at most `perUsername` failures a minute across all sources (distributed guessing of
 *   one account). High by default, and it never refuses a source where that user has logged in
 *   successfully before (remembered here for KNOWN_SOURCE_TTL_MS), so flooding it does not lock
 *   a nurse out of the workstations she uses.
 *
 * Usernames are compared in lower case (accounts are case-insensitive). Unknown usernames are
 * counted and locked exactly like existing ones, so the answers do not tell which exist.
 */
export interface RateLimitVerdict {
  allowed: boolean;
  /** What refused the attempt: 'account' is the (username, source) lock (answered 423). */
  scope?: 'ip' | 'username' | 'account';
  /** Seconds until the attempt may be made again. */
  retryAfterSeconds?: number;
}

interface Window {
  start: number;
  count: number;
}
interface PairState {
  failures: number;
  lockedUntil: number;
  touched: number;
}

const WINDOW_MS = 60_000;
export const FAILURES_BEFORE_LOCK = 5;
export const MAX_LOCK_SECONDS = 15 * 60;
const PAIR_TTL_MS = 24 * 3600_000;
const KNOWN_SOURCE_TTL_MS = 30 * 24 * 3600_000;
/** Bound on tracked keys per scope; the oldest are dropped first when it is reached. */
const MAX_KEYS = 50_000;

export class LoginRateLimiter {
  private readonly byIp = new Map<string, Window>();
  private readonly byUsername = new Map<string, Window>();
  private readonly pairs = new Map<string, PairState>();
  private readonly knownSources = new Map<string, number>();

  constructor(
    private readonly limits: { perIp: number; perUsername: number; lockBaseSeconds?: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether an attempt may proceed (to the password check); counts nothing. */
  check(ip: string | undefined, username: string): RateLimitVerdict {
    const at = this.now();
    const source = ip ?? 'unknown';
    const name = username.toLowerCase();
    const pair = this.pairs.get(pairKey(name, source));
    if (pair && pair.lockedUntil > at) return { allowed: false, scope: 'account', retryAfterSeconds: seconds(pair.lockedUntil - at) };
    const ipWindow = live(this.byIp.get(source), at);
    if (ipWindow && ipWindow.count >= this.limits.perIp) return { allowed: false, scope: 'ip', retryAfterSeconds: seconds(ipWindow.start + WINDOW_MS - at) };
    const userWindow = live(this.byUsername.get(name), at);
    if (userWindow && userWindow.count >= this.limits.perUsername && !this.isKnownSource(name, source, at)) {
      return { allowed: false, scope: 'username', retryAfterSeconds: seconds(userWindow.start + WINDOW_MS - at) };
    }
    return { allowed: true };
  }

  /** Counts one failed attempt (wrong password, unknown or deactivated account). */
  failure(ip: string | undefined, username: string): void {
    const at = this.now();
    const source = ip ?? 'unknown';
    const name = username.toLowerCase();
    count(this.byIp, source, at);
    count(this.byUsername, name, at);
    const key = pairKey(name, source);
    const pair = this.pairs.get(key) ?? { failures: 0, lockedUntil: 0, touched: at };
    // A pair quiet for a day starts over.
    if (at - pair.touched > PAIR_TTL_MS) pair.failures = 0;
    pair.failures += 1;
    pair.touched = at;
    if (pair.failures >= FAILURES_BEFORE_LOCK) {
      const base = this.limits.lockBaseSeconds ?? 60;
      const lockSeconds = Math.min(MAX_LOCK_SECONDS, base * 2 ** (pair.failures - FAILURES_BEFORE_LOCK));
      pair.lockedUntil = at + lockSeconds * 1000;
    }
    this.pairs.delete(key); // re-inserted last: the map stays in last-touched order
    this.pairs.set(key, pair);
    pruneOldest(this.pairs, (p) => at - p.touched >= PAIR_TTL_MS && p.lockedUntil <= at);
  }

  /** A successful login: the pair starts over, and the source is known for that user. */
  success(ip: string | undefined, username: string): void {
    const at = this.now();
    const source = ip ?? 'unknown';
    const name = username.toLowerCase();
    this.pairs.delete(pairKey(name, source));
    const key = pairKey(name, source);
    this.knownSources.delete(key);
    this.knownSources.set(key, at);
    pruneOldest(this.knownSources, (t) => at - t >= KNOWN_SOURCE_TTL_MS);
  }

  private isKnownSource(name: string, source: string, at: number): boolean {
    const seen = this.knownSources.get(pairKey(name, source));
    return seen !== undefined && at - seen < KNOWN_SOURCE_TTL_MS;
  }
}

const pairKey = (name: string, source: string) => `${name}\u0000${source}`;
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
const live = (w: Window | undefined, at: number) => (w && at - w.start < WINDOW_MS ? w : undefined);

function count(windows: Map<string, Window>, key: string, at: number): void {
  let w = live(windows.get(key), at);
  if (!w) {
    windows.delete(key); // re-inserted last: the map stays in window-start order
    w = { start: at, count: 0 };
    windows.set(key, w);
    pruneOldest(windows, (old) => at - old.start >= WINDOW_MS);
  }
  w.count += 1;
}

/** Drops entries from the oldest while they are stale, or while the map is over its bound. */
function pruneOldest<V>(map: Map<string, V>, stale: (v: V) => boolean): void {
  for (const [key, v] of map) {
    if (!stale(v) && map.size <= MAX_KEYS) break;
    map.delete(key);
  }
}
