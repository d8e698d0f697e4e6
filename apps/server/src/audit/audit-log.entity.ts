import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One row of the append-only audit log (migrations: initial schema, audit-log-patient-ids). Insert
 * only: the table refuses UPDATE, DELETE and TRUNCATE (trigger), and the application's role may
 * only SELECT and INSERT it; nothing here may save() or remove() an existing entry.
 */
@Entity('audit_log')
export class AuditLogEntity {
  /** bigserial: pg returns int8 as a string, so the id stays exact. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('timestamptz', { default: () => 'now()' }) at!: Date;
  @Column('uuid', { name: 'actor_id', nullable: true }) actorId!: string | null;
  @Column('text', { name: 'actor_role', nullable: true }) actorRole!: string | null;
  @Column('text') action!: string;
  @Column('uuid', { name: 'patient_id', nullable: true }) patientId!: string | null;
  @Column('text', { name: 'target_type', nullable: true }) targetType!: string | null;
  @Column('text', { name: 'target_id', nullable: true }) targetId!: string | null;
  @Column('text', { nullable: true }) ip!: string | null;
  @Column('text', { default: 'success' }) outcome!: string;
  @Column('jsonb', { nullable: true }) details!: Record<string, unknown> | null;
}
