import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Mapped to migrations/20261125100000_auth-sessions.sql (the migration is the schema's source). */
@Entity('refresh_tokens')
export class RefreshTokenEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** SHA-256 (hex) of the token; the token itself is never stored. */
  @Column('text', { name: 'token_hash' }) tokenHash!: string;
  @Column('uuid', { name: 'family_id' }) familyId!: string;
  @Column('uuid', { name: 'user_id' }) userId!: string;
  @Column('text') delivery!: 'cookie' | 'body';
  @Column('timestamptz', { name: 'issued_at', default: () => 'now()' }) issuedAt!: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt!: Date;
  @Column('timestamptz', { name: 'used_at', nullable: true }) usedAt!: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
}
