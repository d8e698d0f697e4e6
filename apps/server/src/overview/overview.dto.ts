import { ApiProperty } from '@nestjs/swagger';
import { ComplianceMonthDto, EpisodeDto } from '../episodes/episodes.dto.js';

export class OpenAlertsBySeverityDto {
  @ApiProperty() critical!: number;
  @ApiProperty() warning!: number;
  @ApiProperty() info!: number;
}

/** One row of the population view (CONTRACT.md §7; each figure defined in docs/api.md). */
export class PatientOverviewDto {
  @ApiProperty() patientId!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ nullable: true, type: String, description: 'newest stored reading or session end; null: never any data' }) lastDataAt!: string | null;
  @ApiProperty({ description: 'alerts not yet resolved (open or acknowledged)' }) openAlerts!: number;
  @ApiProperty({ type: OpenAlertsBySeverityDto }) openAlertsBySeverity!: OpenAlertsBySeverityDto;
  @ApiProperty({ nullable: true, type: Number, description: '% of the last 7 nights with ≥ 4 h of ventilation; null: no ventilation session in them' })
  adherence7d!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'mean ventilation hours per night over the last 7 nights (0 h without a session)' })
  usageHours7d!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: "mean of the last 7 nights' leak P95, L/min" }) leak7d!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: "mean of the last 7 nights' AHI, events/h" }) ahi7d!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'mean SpO2 of the last 7 night windows, %' }) spo2NightMean7d!: number | null;
  @ApiProperty({ nullable: true, type: ComplianceMonthDto, description: "transmission check of the episode's current month (as the console list)" })
  compliance!: ComplianceMonthDto | null;
  @ApiProperty({ nullable: true, type: String }) lastReviewAt!: string | null;
  @ApiProperty() reviewOverdue!: boolean;
  @ApiProperty({ description: 'the alert rules run for the patient (an active episode)' }) alertsOn!: boolean;
  @ApiProperty({ nullable: true, type: EpisodeDto }) episode!: EpisodeDto | null;
}
