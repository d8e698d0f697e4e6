import { describe, expect, it, jest } from '@jest/globals';

// Which hash each login verifies, recorded instead of running argon2: the point is that every
// answer costs one verification, whether the account exists, is deactivated or is active.
const verified: string[] = [];
jest.unstable_mockModule('./password.js', () => ({
  verifySecret: async (hashed: string) => {
    verified.push(hashed);
    return false;
  },
  dummySecretHash: async () => 'dummy-hash',
  hashSecret: async () => 'unused',
}));
const { AuthService } = await import('./auth.service.js');
const { AppError } = await import('../common/app-error.js');

type Account = { id: string; role: 'nurse'; active: boolean; passwordHash: string };
const accounts: Record<string, Account> = {
  'nurse.active': { id: 'u1', role: 'nurse', active: true, passwordHash: 'hash-of-active' },
  'nurse.gone': { id: 'u2', role: 'nurse', active: false, passwordHash: 'hash-of-gone' },
};

function service() {
  const repository = { findByUsername: async (username: string) => accounts[username] };
  const config = { auth: { loginRateLimit: { perIp: 1000, perUsername: 1000 }, loginLockBaseSeconds: 60 } };
  const audit = { record: async () => undefined, recordLoginAttempt: async () => undefined };
  return new AuthService(repository as never, config as never, {} as never, audit as never, {} as never);
}

describe('AuthService.login: the same answer and the same cost for every username (issue 21 §4)', () => {
  it.each([
    ['an unknown username', 'nobody.here', 'dummy-hash'],
    ['a deactivated account', 'nurse.gone', 'hash-of-gone'],
    ['an active account with a wrong password', 'nurse.active', 'hash-of-active'],
  ])('%s: INVALID_CREDENTIALS after exactly one password verification', async (_case, username, hash) => {
    verified.length = 0;
    const attempt = service().login(username, 'wrong-password', '192.0.2.1', 'cookie' as never);
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS', message: 'invalid username or password' });
    expect(verified).toEqual([hash]);
  });
});
