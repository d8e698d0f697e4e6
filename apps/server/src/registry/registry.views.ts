import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  DEVICE_KINDS,
  IDENTITY_STATUSES,
  PATIENT_PROFILES,
  PATIENT_SEXES,
  ROLES,
  type DeviceKind,
  type IdentityStatus,
  type PatientProfile,
  type PatientSex,
  type Role,
} from '#domain';

// Response shapes of the registry routes (OpenAPI). Never a password, secret or hash.

export class CareTeamView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() createdAt!: Date;
}

export class UserView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ type: String, nullable: true }) displayName!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'RPPS number (nurses and physicians)' }) rpps!: string | null;
  @ApiProperty() active!: boolean;
  @ApiProperty({ description: 'locked after repeated failed logins' }) locked!: boolean;
  @ApiProperty({ type: [String] }) careTeamIds!: string[];
  @ApiProperty() createdAt!: Date;
}

export class MeView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ type: [String] }) careTeamIds!: string[];
}

/** A device as a patient's page shows it. */
export class PatientDeviceView {
  @ApiProperty() deviceId!: string;
  @ApiProperty({ enum: DEVICE_KINDS }) kind!: DeviceKind;
  @ApiProperty() active!: boolean;
  @ApiProperty() online!: boolean;
  @ApiProperty({ type: Number, nullable: true }) battery!: number | null;
  @ApiProperty({ type: String, nullable: true }) firmware!: string | null;
  @ApiProperty({ type: Date, nullable: true }) lastSeenAt!: Date | null;
}

/** A device as the admin's registry lists it. */
export class DeviceView extends PatientDeviceView {
  @ApiProperty({ format: 'uuid' }) patientId!: string;
  @ApiProperty() createdAt!: Date;
}

/** PATCH /api/devices/:id: the device, and its new secret once when rotateSecret was asked. */
export class DeviceUpdatedView extends DeviceView {
  @ApiPropertyOptional({ description: 'the new MQTT password (rotateSecret): shown once, only its hash is stored' }) secret?: string;
}

export class DeviceRegisteredView {
  @ApiProperty() deviceId!: string;
  @ApiProperty({ description: 'MQTT password of the device. Shown once: only its hash is stored.' }) secret!: string;
}

export class InsView {
  @ApiProperty() value!: string;
  @ApiProperty() oid!: string;
}

/** The recorded identity (RNIV). Traits not recorded are absent. */
export class IdentityView {
  @ApiPropertyOptional() birthName?: string;
  @ApiPropertyOptional() usedName?: string;
  @ApiProperty({ type: [String] }) firstNames!: string[];
  @ApiPropertyOptional({ example: '1955-08-14' }) birthDate?: string;
  @ApiPropertyOptional({ enum: PATIENT_SEXES }) sex?: PatientSex;
  @ApiPropertyOptional() birthplaceCode?: string;
  @ApiPropertyOptional({ type: InsView, description: 'only for a qualified identity (shareableIns): an INS not qualified is never shown' })
  ins?: InsView;
  @ApiProperty({ description: 'an INS is recorded (shown only once the identity is qualified)' }) insRecorded!: boolean;
  @ApiProperty({ enum: IDENTITY_STATUSES }) status!: IdentityStatus;
}

export class PatientView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: PATIENT_PROFILES }) profile!: PatientProfile;
  @ApiProperty({ format: 'uuid' }) careTeamId!: string;
  @ApiPropertyOptional({ type: String, description: 'the INS of a qualified identity only (as identity.ins.value)' }) ins?: string;
  @ApiProperty({ type: IdentityView }) identity!: IdentityView;
  @ApiProperty() timezone!: string;
  @ApiProperty({ type: [PatientDeviceView] }) devices!: PatientDeviceView[];
}

/** One change of a patient's identity status, from the audit log. */
export class IdentityStatusChangeView {
  @ApiProperty() at!: Date;
  @ApiProperty({ enum: IDENTITY_STATUSES }) from!: IdentityStatus;
  @ApiProperty({ enum: IDENTITY_STATUSES }) to!: IdentityStatus;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) byUserId!: string | null;
  @ApiProperty({ type: String, nullable: true, enum: ROLES }) byRole!: string | null;
}
