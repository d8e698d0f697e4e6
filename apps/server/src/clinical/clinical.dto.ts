import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, Matches, Min } from 'class-validator';
import { SAMPLE_METRIC_NAMES, type SampleMetric } from '#domain';
import { TREND_BUCKET_NAMES, type TrendBucket } from './trend-range.js';

export class TrendsQueryDto {
  @ApiProperty({ enum: SAMPLE_METRIC_NAMES, example: 'spo2' })
  @IsIn(SAMPLE_METRIC_NAMES)
  metric!: SampleMetric;

  @ApiProperty({ description: 'ISO-8601 with offset; widened down to a bucket boundary', example: '2026-11-01T00:00:00Z' })
  @IsISO8601({ strict: true })
  from!: string;

  @ApiProperty({ description: 'ISO-8601 with offset (exclusive); widened up to a bucket boundary', example: '2026-11-08T00:00:00Z' })
  @IsISO8601({ strict: true })
  to!: string;

  @ApiProperty({ enum: TREND_BUCKET_NAMES, example: '1h' })
  @IsIn(TREND_BUCKET_NAMES)
  bucket!: TrendBucket;
}

export class TrendBucketDto {
  @ApiProperty({ description: 'bucket start (UTC, aligned on the epoch)' }) start!: string;
  @ApiProperty() min!: number;
  @ApiProperty() avg!: number;
  @ApiProperty() max!: number;
  @ApiProperty({ description: 'valid samples in the bucket (signal_ok)' }) count!: number;
}

export const MAX_NIGHTS = 92;

export class NightsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_NIGHTS, default: 30 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  days?: number;

  @ApiPropertyOptional({ description: 'date (YYYY-MM-DD, patient timezone) of the last night; default: yesterday evening', example: '2026-10-31' })
  @IsOptional()
  @Matches(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, { message: 'until must be a date YYYY-MM-DD' })
  until?: string;
}

export class NightDto {
  @ApiProperty({ description: 'local date of the evening (YYYY-MM-DD)' }) night!: string;
  @ApiProperty() start!: string;
  @ApiProperty() end!: string;
  @ApiProperty({ enum: ['session', 'default'], description: 'window from the ventilation sessions, or 20:00–08:00 local' })
  source!: 'session' | 'default';
  @ApiProperty({ description: 'number of ventilation sessions merged into the night' }) sessions!: number;
  @ApiProperty({ nullable: true, type: Number }) usageHours!: number | null;
  @ApiProperty({ nullable: true, type: Number }) leakP95!: number | null;
  @ApiProperty({ nullable: true, type: Number }) ahi!: number | null;
  @ApiProperty({ nullable: true, type: Number }) respRateMedian!: number | null;
  @ApiProperty({ nullable: true, type: Number }) tidalVolumeMedian!: number | null;
  @ApiProperty({ nullable: true, type: Number }) minuteVentilationMedian!: number | null;
  @ApiProperty({ nullable: true, type: Number }) triggeredBreathsPct!: number | null;
  @ApiProperty({ nullable: true, type: Number }) spo2Mean!: number | null;
  @ApiProperty({ nullable: true, type: Number }) spo2Min!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: '% of recording time below 90 %' }) t90Pct!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'desaturations ≥ 3 % per recording hour' }) odi3!: number | null;
  @ApiProperty({ nullable: true, type: Number }) pulseMean!: number | null;
  @ApiProperty({ description: 'hours of valid oximetry in the window' }) oximetryHours!: number;
}
