import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsTimeZone,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  MinLength,
  ValidateBy,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import { DEVICE_KINDS, PATIENT_PROFILES, ROLES, type DeviceKind, type PatientProfile, type Role } from '#domain';
import { checkIns } from './ins.js';

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

  @ApiPropertyOptional({ description: 'RPPS / ADELI number' })
  @IsOptional() @IsString() @Matches(/^[0-9A-Za-z]{6,20}$/, { message: 'nationalId must be 6-20 letters or digits' })
  nationalId?: string;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ description: 'false: the account can no longer log in and its tokens stop working; true also clears a lock-out' })
  @IsOptional() @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'replaces the memberships' })
  @IsOptional() @IsArray() @ArrayMaxSize(100) @ArrayUnique() @IsUUID(undefined, { each: true })
  careTeamIds?: string[];
}

export class CreatePatientDto {
  @ApiProperty({ example: 'M. D.' })
  @IsString() @Length(1, 200) @Matches(NOT_BLANK, { message: 'displayName must not be blank' })
  displayName!: string;

  @ApiProperty({ format: 'uuid' }) @IsUUID()
  careTeamId!: string;

  @ApiProperty({ enum: PATIENT_PROFILES }) @IsIn(PATIENT_PROFILES)
  profile!: PatientProfile;

  @ApiPropertyOptional({ example: '255081416802538', description: 'INS: 15 characters with a valid key' })
  @IsOptional() @IsString() @IsIns()
  ins?: string;

  @ApiPropertyOptional({ example: 'Europe/Paris', description: 'IANA time zone (default Europe/Paris)' })
  @IsOptional() @IsString() @MaxLength(64) @IsTimeZone()
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

export class UpdateDeviceDto {
  @ApiProperty({ description: 'false: the device can no longer connect and its messages are refused' })
  @IsBoolean()
  active!: boolean;
}

export class ListDevicesQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  patientId?: string;
}
