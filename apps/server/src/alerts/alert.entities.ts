import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { AlertResolution, AlertStatus, RuleId, Severity } from '#domain';
import type { AlertEventKind } from '../events/event-hubs.js';

// Mappings of the tables created by migrations/*.sql (initial schema, alert-rules): the migrator is
// the one source of the schema, these only describe it (no synchronize). bigint ids stay strings,
// as pg returns them. Relations are plain id columns, as in registry.entities.ts.

/** patient_thresholds: a physician's overrides of the profile defaults (validated on write). */
@Entity('patient_thresholds')
export class PatientThresholdsEntity {
  @PrimaryColumn('uuid', { name: 'patient_id' }) patientId!: string;
  /** Stored as validated, but read back as `unknown`: a hand edit may have broken it. */
  @Column('jsonb', { default: {} }) settings!: unknown;
  @Column('uuid', { name: 'updated_by', nullable: true }) updatedBy!: string | null;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt!: Date;
}

@Entity('alerts')
export class AlertEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('uuid', { name: 'patient_id' }) patientId!: string;
  @Column('text') rule!: RuleId;
  @Column('text') severity!: Severity;
  @Column('text') status!: AlertStatus;
  @Column('timestamptz', { name: 'started_at' }) startedAt!: Date;
  /** Start of the latest episode (migration alert-rules). */
  @Column('timestamptz', { name: 'episode_started_at', nullable: true }) episodeStartedAt!: Date | null;
  @Column('timestamptz', { name: 'opened_at', default: () => 'now()' }) openedAt!: Date;
  @Column('timestamptz', { name: 'last_triggered_at' }) lastTriggeredAt!: Date;
  @Column('integer', { default: 1 }) occurrences!: number;
  @Column('double precision', { nullable: true }) value!: number | null;
  @Column('double precision', { nullable: true }) threshold!: number | null;
  @Column('text') message!: string;
  @Column('smallint', { name: 'news2_spo2_score', nullable: true }) news2Spo2Score!: number | null;
  @Column('boolean', { default: false }) escalated!: boolean;
  @Column('timestamptz', { name: 'escalated_at', nullable: true }) escalatedAt!: Date | null;
  @Column('uuid', { name: 'acknowledged_by', nullable: true }) acknowledgedBy!: string | null;
  @Column('timestamptz', { name: 'acknowledged_at', nullable: true }) acknowledgedAt!: Date | null;
  @Column('uuid', { name: 'resolved_by', nullable: true }) resolvedBy!: string | null;
  @Column('timestamptz', { name: 'resolved_at', nullable: true }) resolvedAt!: Date | null;
  @Column('text', { nullable: true }) resolution!: AlertResolution | null;
  /** The device whose samples triggered it, when there is one. */
  @Column('text', { name: 'device_id', nullable: true }) deviceId!: string | null;
}

/** alert_events: every transition; the id is the console's resume cursor (alerts.sync). */
@Entity('alert_events')
export class AlertEventEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('bigint', { name: 'alert_id' }) alertId!: string;
  @Column('uuid', { name: 'patient_id' }) patientId!: string;
  @Column('uuid', { name: 'care_team_id' }) careTeamId!: string;
  @Column('text') kind!: AlertEventKind;
  @Column('uuid', { name: 'actor_id', nullable: true }) actorId!: string | null;
  @Column('text', { nullable: true }) note!: string | null;
  @Column('timestamptz', { default: () => 'now()' }) at!: Date;
  /** What the rules saw when they raised (raised and new occurrences; migration alert-evidence): an AlertEvidenceRecord. */
  @Column('jsonb', { nullable: true }) evidence!: unknown;
}

export const ALERT_ENTITIES = [PatientThresholdsEntity, AlertEntity, AlertEventEntity];
