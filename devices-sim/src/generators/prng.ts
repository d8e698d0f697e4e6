/**
 * Seeded pseudo-random numbers for the generators: deterministic under a seed, never
 * Math.random(). mulberry32 for the stream, a string/number hash (cyrb53-style) to derive
 * independent child seeds ("patient 3, night 12") so that changing one stream never shifts another.
 */

/** A 32-bit seed from any list of parts: hashSeed(seed, 'night', 12). */
export function hashSeed(...parts: Array<string | number>): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  const text = parts.map(String).join('\u001f');
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 ^ h2) >>> 0;
}

export class Rng {
  private state: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A child generator whose stream depends only on this generator's seed material and the label. */
  static derive(seed: number, ...labels: Array<string | number>): Rng {
    return new Rng(hashSeed(seed, ...labels));
  }

  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** Standard normal (Box–Muller, the second value kept for the next call). */
  normal(mean = 0, sd = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + sd * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/**
 * Autocorrelated noise: an Ornstein–Uhlenbeck process (the continuous-time AR(1)), sampled
 * exactly at any spacing: x' = φ·x + sd·√(1−φ²)·ε with φ = exp(−Δt/τ). Its stationary
 * standard deviation is `sd` whatever the sampling rate, so 1 Hz live data and 10 s history
 * look alike; after a long gap the value is a fresh draw.
 */
export class OuProcess {
  private value: number;
  private lastAt: number | undefined;

  constructor(
    private readonly rng: Rng,
    private readonly tauMs: number,
    private readonly sd: number,
  ) {
    this.value = rng.normal(0, sd);
  }

  /** The value at time `at` (epoch ms); times must not go backwards. */
  at(at: number): number {
    if (this.lastAt !== undefined && at > this.lastAt) {
      const phi = Math.exp(-(at - this.lastAt) / this.tauMs);
      this.value = phi * this.value + this.sd * Math.sqrt(1 - phi * phi) * this.rng.normal();
    }
    this.lastAt = at;
    return this.value;
  }
}

export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

export function round(value: number, decimals = 0): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
