import { describe, expect, it } from '@jest/globals';
import { LoginRateLimiter } from './login-rate-limiter.js';

function limiter(perIp: number, perUsername: number) {
  let now = 1_000_000;
  const l = new LoginRateLimiter({ perIp, perUsername }, () => now);
  return { l, advance: (ms: number) => (now += ms) };
}

describe('LoginRateLimiter', () => {
  it('allows up to the per-address limit in a minute, then refuses with the time left', () => {
    const { l, advance } = limiter(3, 100);
    expect([1, 2, 3].map((i) => l.hit('10.0.0.1', `u${i}`).allowed)).toEqual([true, true, true]);
    advance(20_000);
    expect(l.hit('10.0.0.1', 'u4')).toEqual({ allowed: false, scope: 'ip', retryAfterSeconds: 40, firstRefusal: true });
    expect(l.hit('10.0.0.1', 'u5')).toMatchObject({ allowed: false, firstRefusal: false });
    expect(l.hit('10.0.0.2', 'u6').allowed).toBe(true); // another address is not affected
    advance(40_000);
    expect(l.hit('10.0.0.1', 'u7').allowed).toBe(true); // new window
  });

  it('limits one username across addresses (case-insensitive)', () => {
    const { l } = limiter(100, 2);
    expect(l.hit('10.0.0.1', 'Nurse').allowed).toBe(true);
    expect(l.hit('10.0.0.2', 'nurse').allowed).toBe(true);
    expect(l.hit('10.0.0.3', 'NURSE')).toMatchObject({ allowed: false, scope: 'username' });
    expect(l.hit('10.0.0.3', 'physician').allowed).toBe(true);
  });

  it('counts an unknown address under one key', () => {
    const { l } = limiter(1, 100);
    expect(l.hit(undefined, 'a').allowed).toBe(true);
    expect(l.hit(undefined, 'b').allowed).toBe(false);
  });

  it('forgets expired windows so memory stays bounded', () => {
    const { l, advance } = limiter(1, 1);
    for (let i = 0; i < 1000; i++) l.hit(`10.0.${i >> 8}.${i & 255}`, `user${i}`);
    advance(61_000);
    l.hit('10.9.9.9', 'someone');
    const sizes = l as unknown as { byIp: Map<string, unknown>; byUsername: Map<string, unknown> };
    expect(sizes.byIp.size).toBe(1);
    expect(sizes.byUsername.size).toBe(1);
  });
});
