import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { DeviceKind, IdentityStatus, PatientProfile, PatientSex, Role } from '#domain';

// Mapped to the tables of migrations/ (column names, types, nullability and defaults: the
// entity-mapping integration test compares them); the migrations stay the one source of the
// schema (no synchronize), so checks, unique keys, foreign keys and indexes live there only.
// Relations are plain id columns on purpose: no lazy loading, no circular imports between
// entity files (ESM), and every patient-scoped query states its care-team filter explicitly.

@Entity('care_teams')
export class CareTeamEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') name!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') username!: string;
  @Column('text', { name: 'password_hash', select: false }) passwordHash!: string;
  @Column('text') role!: Role;
  @Column('text', { name: 'display_name', nullable: true }) displayName!: string | null;
  /** Legacy free-form RPPS/ADELI (6-20 characters), read by nothing since `rpps` (migration …130000). */
  @Column('text', { name: 'national_id', nullable: true }) nationalId!: string | null;
  @Column('text', { nullable: true }) rpps!: string | null;
  @Column('boolean', { default: true }) active!: boolean;
  @Column('integer', { name: 'failed_login_count', default: 0 }) failedLoginCount!: number;
  @Column('timestamptz', { name: 'locked_until', nullable: true }) lockedUntil!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity('user_care_teams')
export class UserCareTeamEntity {
  @PrimaryColumn('uuid', { name: 'user_id' }) userId!: string;
  @PrimaryColumn('uuid', { name: 'care_team_id' }) careTeamId!: string;
}

@Entity('patients')
export class PatientEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text', { name: 'display_name' }) displayName!: string;
  @Column('text', { nullable: true }) ins!: string | null;
  @Column('text', { name: 'ins_oid', nullable: true }) insOid!: string | null;
  @Column('text', { name: 'identity_status', default: 'provisional' }) identityStatus!: IdentityStatus;
  @Column('text', { name: 'birth_name', nullable: true }) birthName!: string | null;
  @Column('text', { name: 'used_name', nullable: true }) usedName!: string | null;
  @Column('text', { name: 'first_names', array: true, default: '{}' }) firstNames!: string[];
  @Column('date', { name: 'birth_date', nullable: true }) birthDate!: string | null;
  @Column('text', { nullable: true }) sex!: PatientSex | null;
  @Column('text', { name: 'birthplace_code', nullable: true }) birthplaceCode!: string | null;
  @Column('text') profile!: PatientProfile;
  @Column('uuid', { name: 'care_team_id' }) careTeamId!: string;
  @Column('text', { default: 'Europe/Paris' }) timezone!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity('devices')
export class DeviceEntity {
  @PrimaryColumn('text', { name: 'device_id' }) deviceId!: string;
  @Column('text') kind!: DeviceKind;
  @Column('uuid', { name: 'patient_id' }) patientId!: string;
  @Column('text', { name: 'secret_hash', select: false }) secretHash!: string;
  @Column('boolean', { default: true }) active!: boolean;
  @Column('timestamptz', { name: 'last_seen_at', nullable: true }) lastSeenAt!: Date | null;
  @Column('boolean', { default: false }) online!: boolean;
  @Column('smallint', { nullable: true }) battery!: number | null;
  @Column('text', { nullable: true }) firmware!: string | null;
  @Column('timestamptz', { name: 'status_at', nullable: true }) statusAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  /** Start of the current patient's assignment (NULL: since registration). */
  @Column('timestamptz', { name: 'assigned_from', nullable: true }) assignedFrom!: Date | null;
}

/** An earlier patient of a device: its until `untilAt` (migrations/…130100_device-assignments.sql). */
@Entity('device_assignments')
export class DeviceAssignmentEntity {
  @PrimaryColumn('text', { name: 'device_id' }) deviceId!: string;
  @Column('uuid', { name: 'patient_id' }) patientId!: string;
  @PrimaryColumn('timestamptz', { name: 'until_at' }) untilAt!: Date;
}

export const REGISTRY_ENTITIES = [CareTeamEntity, UserEntity, UserCareTeamEntity, PatientEntity, DeviceEntity, DeviceAssignmentEntity];
