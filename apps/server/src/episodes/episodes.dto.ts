import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { INDICATIONS, type Indication } from './episode.entities.js';

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const dateMessage = (name: string) => ({ message: `${name} must be a date YYYY-MM-DD` });

export class CreateEpisodeDto {
  @ApiProperty({ enum: INDICATIONS }) @IsIn(INDICATIONS) indication!: Indication;

  @ApiProperty({ description: "user id of the prescribing physician, a member of the patient's care team", format: 'uuid' })
  @IsUUID()
  prescriberId!: string;

  @ApiProperty({ example: '2026-12-01', description: "patient's time zone" })
  @Matches(DATE, dateMessage('startDate'))
  @IsISO8601({ strict: true })
  startDate!: string;

  @ApiPropertyOptional({ example: '2027-05-31' })
  @IsOptional()
  @Matches(DATE, dateMessage('plannedEndDate'))
  @IsISO8601({ strict: true })
  plannedEndDate?: string;
}

export class EndEpisodeDto {
  @ApiPropertyOptional({ example: '2026-12-31', description: "default: today in the patient's time zone; not before the start, not in the future" })
  @IsOptional()
  @Matches(DATE, dateMessage('endDate'))
  @IsISO8601({ strict: true })
  endDate?: string;

  @ApiProperty({ example: 'end of prescription', maxLength: 500 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  reason!: string;
}

export class EpisodeDto {
  @ApiProperty() id!: string;
  @ApiProperty() patientId!: string;
  @ApiProperty({ enum: INDICATIONS }) indication!: Indication;
  @ApiProperty({ nullable: true, type: String, description: 'null only for episodes created by the migration for earlier patients' })
  prescriberId!: string | null;
  @ApiProperty() startDate!: string;
  @ApiProperty({ nullable: true, type: String }) plannedEndDate!: string | null;
  @ApiProperty({ enum: ['active', 'ended'] }) status!: 'active' | 'ended';
  @ApiProperty({ nullable: true, type: String }) endDate!: string | null;
  @ApiProperty({ nullable: true, type: String }) endReason!: string | null;
  @ApiProperty({ enum: ['prescription', 'migration'] }) origin!: 'prescription' | 'migration';
}

export class ComplianceMonthDto {
  @ApiProperty({ description: '1 for the month starting on the start date' }) month!: number;
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ description: 'days of the month not after today (the therapy day in progress) or the end date' }) days!: number;
  @ApiProperty() daysWithData!: number;
  @ApiProperty({ description: 'daysWithData / days (0 when days = 0)' }) ratio!: number;
  @ApiProperty({ description: 'ratio > 0.5 (exactly half is not met)' }) met!: boolean;
}

export class ComplianceDto {
  @ApiProperty({ type: [ComplianceMonthDto] }) months!: ComplianceMonthDto[];
}

export const MAX_THERAPY_DAYS = 366;

export class DaysQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_THERAPY_DAYS, default: 30 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_THERAPY_DAYS)
  days?: number;

  @ApiPropertyOptional({ description: 'the newest therapy day to return (YYYY-MM-DD); default: the one in progress', example: '2026-03-29' })
  @IsOptional()
  @Matches(DATE, dateMessage('until'))
  @IsISO8601({ strict: true })
  until?: string;
}

export class TherapyDayDto {
  @ApiProperty({ description: 'date of the noon the therapy day starts at (patient time zone)' }) day!: string;
  @ApiProperty({ description: 'any stored reading or session of the patient’s devices in the day' }) dataReceived!: boolean;
  @ApiProperty({ nullable: true, type: Number, description: 'null without a ventilator' }) ventilationHours!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'vs the day before' }) ventilationHoursChange!: number | null;
  @ApiProperty({ nullable: true, type: Number }) respRateMean!: number | null;
  @ApiProperty({ nullable: true, type: Number }) leakMedian!: number | null;
  @ApiProperty({ nullable: true, type: Number }) leakMean!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'null without a concentrator or O2 flow data' }) o2Hours!: number | null;
  @ApiProperty({ nullable: true, type: Number }) o2FlowMean!: number | null;
  @ApiProperty({ nullable: true, type: Number }) spo2Mean!: number | null;
}

export class CreateReviewDto {
  @ApiProperty({ maxLength: 4000 }) @IsString() @IsNotEmpty() @MaxLength(4000) note!: string;
  @ApiPropertyOptional({ maxLength: 200, example: 'no action' }) @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) outcome?: string;
}

export class ReviewDto {
  @ApiProperty() id!: string;
  @ApiProperty() patientId!: string;
  @ApiProperty() authorId!: string;
  @ApiProperty() at!: string;
  @ApiProperty() note!: string;
  @ApiProperty({ nullable: true, type: String }) outcome!: string | null;
}

export class TelemonitoredPatientDto {
  @ApiProperty() patientId!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ nullable: true, type: EpisodeDto, description: 'the active episode; null: none (alerts off)' }) episode!: EpisodeDto | null;
  @ApiProperty({ description: 'the alert rules run for the patient (an active episode)' }) alertsOn!: boolean;
  @ApiProperty({ nullable: true, type: ComplianceMonthDto, description: "the transmission check of the episode's current month (as GET /api/episodes/:id/compliance)" })
  compliance!: ComplianceMonthDto | null;
  @ApiProperty({ description: 'the current month is below the transmission check so far (not met)' }) belowTransmissionCheck!: boolean;
  @ApiProperty({ nullable: true, type: String }) lastReviewAt!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'REVIEW_CADENCE_DAYS after the last review (or the start of the episode)' }) reviewDueAt!: string | null;
  @ApiProperty() reviewOverdue!: boolean;
}
