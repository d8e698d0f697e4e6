import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Seals a device's MQTT password while its provisioning waits in the outbox (broker unreachable
 * at registration). AES-256-GCM with a key derived (HKDF-SHA256, random salt per secret) from the
 * provisioning identity's broker password: a database dump alone does not reveal device secrets,
 * and whoever holds that password can create broker clients anyway. The row is deleted once the
 * broker has the credentials.
 *
 * Format: `v1.<salt>.<iv>.<tag>.<ciphertext>`, each base64url.
 */
export class SecretBox {
  constructor(private readonly keyMaterial: string) {
    if (!keyMaterial) throw new Error('SecretBox needs key material');
  }

  seal(plain: string): string {
    const salt = randomBytes(16);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(salt), iv);
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', salt, iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /** The plain text, or undefined when the box is malformed or was sealed with another key. */
  open(sealed: string): string | undefined {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== 'v1') return undefined;
    const [salt, iv, tag, ciphertext] = parts.slice(1).map((p) => Buffer.from(p, 'base64url'));
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key(salt!), iv!);
      decipher.setAuthTag(tag!);
      return Buffer.concat([decipher.update(ciphertext!), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }

  private key(salt: Buffer): Buffer {
    return Buffer.from(hkdfSync('sha256', this.keyMaterial, salt, 'tm broker provisioning outbox v1', 32));
  }
}
