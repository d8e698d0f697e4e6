import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DEVICE_KINDS, PATIENT_PROFILES, ROLES, type DeviceKind, type PatientProfile, type Role } from '#domain';

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
  @ApiProperty({ type: String, nullable: true }) nationalId!: string | null;
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

export class DeviceRegisteredView {
  @ApiProperty() deviceId!: string;
  @ApiProperty({ description: 'MQTT password of the device. Shown once: only its hash is stored.' }) secret!: string;
}

export class PatientView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: PATIENT_PROFILES }) profile!: PatientProfile;
  @ApiProperty({ format: 'uuid' }) careTeamId!: string;
  @ApiPropertyOptional({ type: String }) ins?: string;
  @ApiProperty() timezone!: string;
  @ApiProperty({ type: [PatientDeviceView] }) devices!: PatientDeviceView[];
}
