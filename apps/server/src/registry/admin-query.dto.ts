import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

class PageQueryDto {
  @ApiPropertyOptional({ description: 'ISO-8601: only entries at or after this instant' })
  @IsOptional() @IsISO8601({ strict: true, strictSeparator: true })
  since?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE)
  limit?: number;
}

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'only entries with a smaller id (next page: the last id you received)' })
  @IsOptional() @Matches(/^[1-9][0-9]{0,17}$/, { message: 'beforeId must be a positive integer' })
  beforeId?: string;

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  patientId?: string;

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  actorId?: string;

  @ApiPropertyOptional({ description: 'exact action (auth.login), or a prefix ending in * (registry.*)' })
  @IsOptional() @Matches(/^[a-z0-9_.-]{1,100}\*?$/i, { message: 'action must be an action name, optionally ending in *' })
  action?: string;
}

export class RejectionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200)
  deviceId?: string;
}

export class AuditEntryView {
  @ApiProperty({ description: 'monotonic (bigint as string)' }) id!: string;
  @ApiProperty() at!: Date;
  @ApiProperty({ type: String, nullable: true }) actorId!: string | null;
  @ApiProperty({ type: String, nullable: true }) actorRole!: string | null;
  @ApiProperty() action!: string;
  @ApiProperty({ type: String, nullable: true }) patientId!: string | null;
  @ApiProperty({ type: String, nullable: true }) targetType!: string | null;
  @ApiProperty({ type: String, nullable: true }) targetId!: string | null;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
  @ApiProperty({ enum: ['success', 'failure', 'denied'] }) outcome!: string;
  @ApiProperty({ type: Object, nullable: true }) details!: Record<string, unknown> | null;
}

export class RejectionView {
  @ApiProperty({ description: 'bigint as string' }) id!: string;
  @ApiProperty({ type: String, nullable: true }) deviceId!: string | null;
  @ApiProperty() topic!: string;
  @ApiProperty() reason!: string;
  @ApiProperty({ type: String, nullable: true }) detail!: string | null;
  @ApiProperty() receivedAt!: Date;
  @ApiProperty({ type: String, nullable: true }) excerpt!: string | null;
}
