import { ApiProperty } from '@nestjs/swagger';

/** One row of the operator's activity: an episode active in the month (GET /api/reports/activity). */
export class ActivityRowDto {
  @ApiProperty({ example: '2026-11' }) month!: string;
  @ApiProperty() episodeId!: string;
  @ApiProperty() patientId!: string;
  @ApiProperty() patientName!: string;
  @ApiProperty() careTeamId!: string;
  @ApiProperty() careTeamName!: string;
  @ApiProperty({ nullable: true, type: String }) prescriberId!: string | null;
  @ApiProperty({ nullable: true, type: String }) prescriberName!: string | null;
  @ApiProperty({ enum: ['niv', 'oxygen', 'niv+oxygen'] }) indication!: string;
  @ApiProperty() episodeStart!: string;
  @ApiProperty({ nullable: true, type: String }) episodeEnd!: string | null;
  @ApiProperty({ description: "days of the month (patient's zone) the episode was active, not after today" }) daysActive!: number;
  @ApiProperty({ description: 'of those, days with data transmitted (as /days dataReceived)' }) daysWithData!: number;
  @ApiProperty() complianceRatio!: number;
  @ApiProperty({ description: 'more than half of the active days with data' }) complianceMet!: boolean;
  @ApiProperty({ description: 'alerts raised in the month' }) alertsRaised!: number;
  @ApiProperty({ description: 'alerts acknowledged or resolved by a professional in the month' }) alertsHandled!: number;
  @ApiProperty({ description: 'reviews recorded in the month' }) reviews!: number;
}

/** The CSV columns, in order: the JSON fields' names. */
export const ACTIVITY_COLUMNS: ReadonlyArray<keyof ActivityRowDto> = [
  'month',
  'episodeId',
  'patientId',
  'patientName',
  'careTeamId',
  'careTeamName',
  'prescriberId',
  'prescriberName',
  'indication',
  'episodeStart',
  'episodeEnd',
  'daysActive',
  'daysWithData',
  'complianceRatio',
  'complianceMet',
  'alertsRaised',
  'alertsHandled',
  'reviews',
];
