import { describe, expect, it } from '@jest/globals';
import { newDeviceSecret } from './device-registry.service.js';

describe('newDeviceSecret', () => {
  it('is 32 random bytes in base64url (43 characters), different each time', () => {
    const a = newDeviceSecret();
    const b = newDeviceSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(a).not.toBe(b);
  });
});
