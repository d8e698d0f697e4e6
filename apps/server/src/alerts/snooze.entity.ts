import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { RuleId } from '#domain';

/** rule_snoozes (migration rule-snoozes): one rule silenced for one patient until `until`. */
@Entity('rule_snoozes')
export class RuleSnoozeEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'patient_id' }) patientId!: string;
  @Column('text') rule!: RuleId;
  @Column('timestamptz') until!: Date;
  @Column('text') reason!: string;
  @Column('uuid', { name: 'created_by' }) createdBy!: string;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt!: Date;
  /** Set when a professional ends it early (the row is kept). */
  @Column('uuid', { name: 'ended_by', nullable: true }) endedBy!: string | null;
  @Column('timestamptz', { name: 'ended_at', nullable: true }) endedAt!: Date | null;
}
