import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const INDICATIONS = ['niv', 'oxygen', 'niv+oxygen'] as const;
export type Indication = (typeof INDICATIONS)[number];
export type EpisodeStatus = 'active' | 'ended';

/** A telemonitoring episode (the prescription), table `episodes` (migrations/20261206120000_episodes.sql). */
@Entity('episodes')
export class EpisodeEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'patient_id' }) patientId!: string;
  @Column('text') indication!: Indication;
  /** NULL only for the episodes created by the migration for earlier patients. */
  @Column('uuid', { name: 'prescriber_id', nullable: true }) prescriberId!: string | null;
  @Column('text', { default: 'prescription' }) origin!: 'prescription' | 'migration';
  @Column('date', { name: 'start_date' }) startDate!: string;
  @Column('date', { name: 'planned_end_date', nullable: true }) plannedEndDate!: string | null;
  @Column('text', { default: 'active' }) status!: EpisodeStatus;
  @Column('date', { name: 'end_date', nullable: true }) endDate!: string | null;
  @Column('text', { name: 'end_reason', nullable: true }) endReason!: string | null;
  @Column('uuid', { name: 'created_by', nullable: true }) createdBy!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('uuid', { name: 'ended_by', nullable: true }) endedBy!: string | null;
  @Column('timestamptz', { name: 'ended_at', nullable: true }) endedAt!: Date | null;
}

/** A review: the operator's documented analysis of a patient's data, table `reviews`. */
@Entity('reviews')
export class ReviewEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'patient_id' }) patientId!: string;
  @Column('uuid', { name: 'author_id' }) authorId!: string;
  @CreateDateColumn({ name: 'at', type: 'timestamptz' }) at!: Date;
  @Column('text') note!: string;
  @Column('text', { nullable: true }) outcome!: string | null;
}

export const EPISODE_ENTITIES = [EpisodeEntity, ReviewEntity];
