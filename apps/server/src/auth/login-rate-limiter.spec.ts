import { describe, expect, it } from '@jest/globals';
import { LoginRateLimiter } from './login-rate-limiter.js';

function limiter(perIp: number, perUsername: number, lockBaseSeconds = 60) {
  let now = 1_000_000;
  const l = new LoginRateLimiter({ perIp, perUsername, lockBaseSeconds }, () => now);
  return { l, advance: (ms: number) => (now += ms) };
}

describe('LoginRateLimiter', () => {
  it('counts failures only: any number of successful logins from one address is never throttled', () => {
    const { l } = limiter(3, 3);
    for (let i = 0; i < 50; i++) {
      expect(l.check('10.0.0.1', `nurse${i % 5}`).allowed).toBe(true);
      l.success('10.0.0.1', `nurse${i % 5}`);
    }
  });

  it('refuses an address after its failures of the minute, with the time left; other addresses unaffected', () => {
    const { l, advance } = limiter(3, 100);
    for (const u of ['u1', 'u2', 'u3']) {
      expect(l.check('10.0.0.1', u).allowed).toBe(true);
      l.failure('10.0.0.1', u);
    }
    advance(20_000);
    expect(l.check('10.0.0.1', 'u4')).toEqual({ allowed: false, scope: 'ip', retryAfterSeconds: 40 });
    expect(l.check('10.0.0.2', 'u4').allowed).toBe(true);
    advance(40_000);
    expect(l.check('10.0.0.1', 'u4').allowed).toBe(true);
  });

  it('locks (username, source) after 5 failures with growing delays; another source is not locked', () => {
    const { l, advance } = limiter(100, 100, 1);
    for (let i = 0; i < 5; i++) l.failure('10.0.0.66', 'Nurse');
    expect(l.check('10.0.0.66', 'nurse')).toEqual({ allowed: false, scope: 'account', retryAfterSeconds: 1 });
    expect(l.check('10.0.0.1', 'nurse').allowed).toBe(true); // her own workstation
    advance(1000);
    expect(l.check('10.0.0.66', 'nurse').allowed).toBe(true);
    l.failure('10.0.0.66', 'nurse');
    expect(l.check('10.0.0.66', 'nurse')).toMatchObject({ scope: 'account', retryAfterSeconds: 2 });
    advance(2000);
    l.failure('10.0.0.66', 'nurse');
    expect(l.check('10.0.0.66', 'nurse')).toMatchObject({ scope: 'account', retryAfterSeconds: 4 });
    for (let i = 0; i < 20; i++) l.failure('10.0.0.66', 'nurse');
    expect(l.check('10.0.0.66', 'nurse')).toMatchObject({ scope: 'account', retryAfterSeconds: 900 }); // capped
  });

  it('a success clears the pair', () => {
    const { l } = limiter(100, 100);
    for (let i = 0; i < 4; i++) l.failure('10.0.0.1', 'nurse');
    l.success('10.0.0.1', 'nurse');
    for (let i = 0; i < 4; i++) l.failure('10.0.0.1', 'nurse');
    expect(l.check('10.0.0.1', 'nurse').allowed).toBe(true);
  });

  it('caps failures on one username across addresses, except from sources where that user logged in before', () => {
    const { l } = limiter(100, 3);
    l.success('10.0.0.1', 'nurse');
    for (let i = 0; i < 3; i++) l.failure(`192.0.2.${i}`, 'NURSE');
    expect(l.check('192.0.2.99', 'nurse')).toMatchObject({ allowed: false, scope: 'username' });
    expect(l.check('10.0.0.1', 'Nurse').allowed).toBe(true);
    expect(l.check('192.0.2.99', 'physician').allowed).toBe(true);
  });

  it('counts an unknown address under one key', () => {
    const { l } = limiter(1, 100);
    l.failure(undefined, 'a');
    expect(l.check(undefined, 'b').allowed).toBe(false);
  });

  it('forgets expired windows so memory stays bounded', () => {
    const { l, advance } = limiter(1, 1);
    for (let i = 0; i < 1000; i++) l.failure(`10.0.${i >> 8}.${i & 255}`, `user${i}`);
    advance(61_000);
    l.failure('10.9.9.9', 'someone');
    const sizes = l as unknown as { byIp: Map<string, unknown>; byUsername: Map<string, unknown> };
    expect(sizes.byIp.size).toBe(1);
    expect(sizes.byUsername.size).toBe(1);
  });
});
