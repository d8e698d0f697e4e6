import { describe, expect, it } from '@jest/globals';
import { SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox('provisioning-password');

  it('opens what it sealed, and never stores the plain text', () => {
    const sealed = box.seal('device-secret-123');
    expect(sealed).not.toContain('device-secret-123');
    expect(sealed.split('.')).toHaveLength(5);
    expect(box.open(sealed)).toBe('device-secret-123');
  });

  it('seals the same secret differently each time', () => {
    expect(box.seal('a')).not.toBe(box.seal('a'));
  });

  it('refuses another key, a tampered box and garbage', () => {
    const sealed = box.seal('device-secret-123');
    expect(new SecretBox('another-password').open(sealed)).toBeUndefined();
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[4]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    parts[4] = ct.toString('base64url');
    expect(box.open(parts.join('.'))).toBeUndefined();
    expect(box.open('v1.x')).toBeUndefined();
    expect(box.open('')).toBeUndefined();
  });
});
