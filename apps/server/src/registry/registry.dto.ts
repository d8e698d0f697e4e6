import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsTimeZone,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  MinLength,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import {
  DEVICE_KINDS,
  IDENTITY_STATUSES,
  INS_OID_NIA,
  INS_OID_NIR,
  PATIENT_PROFILES,
  PATIENT_SEXES,
  ROLES,
  type DeviceKind,
  type IdentityStatus,
  type PatientProfile,
  type PatientSex,
  type Role,
} from '#domain';
import { checkIns } from './ins.js';
import { checkRpps } from './rpps.js';

/** Minimum length of a professional's password (issue 7). */
export const MIN_PASSWORD_LENGTH = 12;
/** The device id is the MQTT client id and username, and a topic level: no wildcards, no slashes. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{3,64}$/;
const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{3,100}$/;
/** At least one visible character (names made only of spaces are refused). */
const NOT_BLANK = /\S/;

/** 15-character INS with a valid control key (see ins.ts). The message never repeats the value. */
export function IsIns(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIns',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && checkIns(value).ok,
        defaultMessage: (args?: ValidationArguments) => {
          const check = typeof args?.value === 'string' ? checkIns(args.value) : undefined;
          return check && !check.ok && check.reason === 'key'
            ? '$property: the control key does not match (97 - NIR mod 97)'
            : '$property must be 15 characters: 13 digits (2A/2B allowed as characters 6-7) and a 2-digit key';
        },
      },
    },
    options,
  );
}

/** 11-digit RPPS number with a valid Luhn key (see rpps.ts). */
export function IsRpps(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRpps',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && checkRpps(value).ok,
        defaultMessage: (args?: ValidationArguments) => {
          const check = typeof args?.value === 'string' ? checkRpps(args.value) : undefined;
          return check && !check.ok && check.reason === 'key'
            ? '$property: the RPPS control key (Luhn) does not match'
            : '$property must be an RPPS number: 11 digits';
        },
      },
    },
    options,
  );
}

/** Optional, but not null: `{ "profile": null }` is refused, never taken as "not given" (IsOptional lets null through). */
export const IsAbsentOrValid = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

/** Names as the identity document spells them: letters, spaces, hyphens and apostrophes. */
const PERSON_NAME = /^\p{L}[\p{L}\p{M} '-]*$/u;
const PERSON_NAME_MESSAGE = (field: string) => `${field}: letters, spaces, hyphens and apostrophes, 1-100 characters`;

export class InsDto {
  @ApiProperty({ example: '255081416802538', description: 'INS (NIR or NIA): 15 characters with a valid key' })
  @IsString() @IsIns()
  value!: string;

  @ApiProperty({ enum: [INS_OID_NIR, INS_OID_NIA], description: 'assigning authority: NIR 1.2.250.1.213.1.4.8, NIA 1.2.250.1.213.1.4.9' })
  @IsIn([INS_OID_NIR, INS_OID_NIA])
  oid!: string;
}

/**
 * A patient's identity (RNIV, CONTRACT §8), given whole: a PATCH replaces the recorded identity,
 * so that the status is always stated together with the traits it vouches for.
 */
export class IdentityDto {
  @ApiProperty({ example: 'DUPONT', description: 'nom de naissance' })
  @IsString() @Length(1, 100) @Matches(PERSON_NAME, { message: PERSON_NAME_MESSAGE('birthName') })
  birthName!: string;

  @ApiPropertyOptional({ example: 'MARTIN', description: "nom d'usage" })
  @IsOptional() @IsString() @Length(1, 100) @Matches(PERSON_NAME, { message: PERSON_NAME_MESSAGE('usedName') })
  usedName?: string;

  @ApiProperty({ type: [String], example: ['Marie', 'Jeanne'], description: 'prénoms de naissance, in order' })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10) @IsString({ each: true }) @Length(1, 100, { each: true })
  @Matches(PERSON_NAME, { each: true, message: PERSON_NAME_MESSAGE('firstNames') })
  firstNames!: string[];

  @ApiProperty({ example: '1955-08-14', description: 'YYYY-MM-DD, not in the future' })
  @IsString() @Matches(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, { message: 'birthDate must be YYYY-MM-DD' }) @IsISO8601({ strict: true })
  birthDate!: string;

  @ApiProperty({ enum: PATIENT_SEXES }) @IsIn(PATIENT_SEXES)
  sex!: PatientSex;

  @ApiPropertyOptional({ example: '16802', description: 'INSEE code of the birthplace (99xxx: abroad)' })
  @IsOptional() @IsString() @Matches(/^[0-9][0-9AB][0-9]{3}$/, { message: 'birthplaceCode must be an INSEE code of 5 characters' })
  birthplaceCode?: string;

  @ApiPropertyOptional({ type: InsDto, nullable: true, description: 'absent: the recorded INS stays (views hide an INS not qualified); null: removed' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => InsDto)
  ins?: InsDto | null;

  @ApiProperty({ enum: IDENTITY_STATUSES, description: 'qualified: INS checked with INSi and traits checked on an identity document' })
  @IsIn(IDENTITY_STATUSES)
  status!: IdentityStatus;
}

export class CreateCareTeamDto {
  @ApiProperty({ example: 'Pneumologie - HAD Nord' })
  @IsString() @Length(1, 200) @Matches(NOT_BLANK, { message: 'name must not be blank' })
  name!: string;
}

export class CreateUserDto {
  @ApiProperty({ example: 'nurse.martin', description: '3-100 characters: letters, digits, . _ @ -' })
  @IsString() @Matches(USERNAME_PATTERN, { message: 'username must be 3-100 characters: letters, digits, . _ @ -' })
  username!: string;

  @ApiProperty({ minLength: MIN_PASSWORD_LENGTH, maxLength: 200, writeOnly: true })
  @IsString() @MinLength(MIN_PASSWORD_LENGTH) @MaxLength(200)
  password!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'care teams of a nurse or physician; must be empty for an admin' })
  @IsOptional() @IsArray() @ArrayMaxSize(100) @ArrayUnique() @IsUUID(undefined, { each: true })
  careTeamIds?: string[];

  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) @Matches(NOT_BLANK, { message: 'displayName must not be blank' })
  displayName?: string;

  @ApiPropertyOptional({ example: '10003508818', description: 'RPPS number of a nurse or physician (11 digits, Luhn key); admins have none' })
  @IsOptional() @IsString() @IsRpps()
  rpps?: string;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ description: 'false: the account can no longer log in and its tokens stop working; true also clears a lock-out' })
  @IsAbsentOrValid() @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'replaces the memberships' })
  @IsAbsentOrValid() @IsArray() @ArrayMaxSize(100) @ArrayUnique() @IsUUID(undefined, { each: true })
  careTeamIds?: string[];

  @ApiPropertyOptional({ enum: ROLES, description: 'takes effect at the next request; an admin has no care team and no RPPS' })
  @IsAbsentOrValid() @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ type: String, nullable: true, example: '10003508818', description: 'RPPS number (11 digits, Luhn key); null removes it' })
  @IsOptional() @IsString() @IsRpps()
  rpps?: string | null;
}

export class CreatePatientDto {
  @ApiProperty({ example: 'M. D.' })
  @IsString() @Length(1, 200) @Matches(NOT_BLANK, { message: 'displayName must not be blank' })
  displayName!: string;

  @ApiProperty({ format: 'uuid' }) @IsUUID()
  careTeamId!: string;

  @ApiProperty({ enum: PATIENT_PROFILES }) @IsIn(PATIENT_PROFILES)
  profile!: PatientProfile;

  @ApiPropertyOptional({ example: '255081416802538', description: 'INS (NIR): 15 characters with a valid key. Shorthand for identity.ins; not with identity' })
  @IsOptional() @IsString() @IsIns()
  ins?: string;

  @ApiPropertyOptional({ type: IdentityDto })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => IdentityDto)
  identity?: IdentityDto;

  @ApiPropertyOptional({ example: 'Europe/Paris', description: 'IANA time zone (default Europe/Paris)' })
  @IsOptional() @IsString() @MaxLength(64) @IsTimeZone()
  timezone?: string;
}

/**
 * CONTRACT §8. An admin may change every field; a nurse or physician of the patient's care team
 * the identity only (any other field → 403 FIELD_NOT_ALLOWED, nothing changed).
 */
export class UpdatePatientDto {
  @ApiPropertyOptional({ type: IdentityDto, description: 'replaces the recorded identity' })
  @IsAbsentOrValid() @IsObject() @ValidateNested() @Type(() => IdentityDto)
  identity?: IdentityDto;

  @ApiPropertyOptional() @IsAbsentOrValid() @IsString() @Length(1, 200) @Matches(NOT_BLANK, { message: 'displayName must not be blank' })
  displayName?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "moves the patient to another care team (admin)" })
  @IsAbsentOrValid() @IsUUID()
  careTeamId?: string;

  @ApiPropertyOptional({ enum: PATIENT_PROFILES }) @IsAbsentOrValid() @IsIn(PATIENT_PROFILES)
  profile?: PatientProfile;

  @ApiPropertyOptional({ example: 'Europe/Paris' })
  @IsAbsentOrValid() @IsString() @MaxLength(64) @IsTimeZone()
  timezone?: string;
}

export class CreateDeviceDto {
  @ApiProperty({ example: 'OX-000123', pattern: DEVICE_ID_PATTERN.source })
  @IsString() @Matches(DEVICE_ID_PATTERN, { message: 'deviceId must be 3-64 characters: letters, digits, _ and -' })
  deviceId!: string;

  @ApiProperty({ enum: DEVICE_KINDS }) @IsIn(DEVICE_KINDS)
  kind!: DeviceKind;

  @ApiProperty({ format: 'uuid' }) @IsUUID()
  patientId!: string;
}

/** CONTRACT §8: PATCH /api/devices/:id (admin). At least one of patientId, active, rotateSecret. */
export class UpdateDeviceDto {
  @ApiPropertyOptional({ description: 'false: the broker refuses the device from now on; its messages still arriving are recorded as rejections' })
  @IsAbsentOrValid() @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: "reassigns the device: readings taken at or after `from` are the new patient's, earlier ones stay with the first" })
  @IsAbsentOrValid() @IsUUID()
  patientId?: string;

  @ApiPropertyOptional({ example: '2026-12-07T08:00:00Z', description: 'start of the new assignment (ISO-8601, default now; not in the future); only with patientId' })
  @IsAbsentOrValid() @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ enum: [true], description: 'true: a new MQTT secret, answered once as `secret`; the old one stops working' })
  @IsAbsentOrValid() @IsIn([true])
  rotateSecret?: true;
}

export class ListDevicesQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  patientId?: string;
}
