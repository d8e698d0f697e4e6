import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/principal.js';
import { CurrentUser, Roles } from '../auth/decorators.js';
import {
  ComplianceDto,
  CreateEpisodeDto,
  CreateReviewDto,
  DaysQueryDto,
  EndEpisodeDto,
  EpisodeDto,
  ReviewDto,
  TelemonitoredPatientDto,
  TherapyDayDto,
} from './episodes.dto.js';
import { EpisodesService } from './episodes.service.js';
import { ReviewsService } from './reviews.service.js';
import { TherapyDaysService } from './therapy-days.service.js';

/** A patient's episodes, therapy days and reviews (CONTRACT.md §6, docs/latm.md). */
@ApiTags('episodes')
@ApiBearerAuth()
@Controller('api/patients/:id')
export class PatientEpisodesController {
  constructor(
    private readonly episodes: EpisodesService,
    private readonly days: TherapyDaysService,
    private readonly reviews: ReviewsService,
  ) {}

  @Post('episodes')
  @Roles('physician', 'admin')
  @ApiOperation({
    summary: 'start a telemonitoring episode (the prescription)',
    description:
      "At most one active episode per patient (409 EPISODE_ALREADY_ACTIVE). prescriberId: an active physician of the patient's care team (else 400 PRESCRIBER_INVALID).",
  })
  @ApiCreatedResponse({ type: EpisodeDto })
  create(@Param('id') id: string, @Body() body: CreateEpisodeDto, @CurrentUser() principal: Principal): Promise<EpisodeDto> {
    return this.episodes.create(principal, id, body);
  }

  @Get('episodes')
  @Roles('physician', 'nurse', 'admin')
  @ApiOperation({ summary: "the patient's episodes, newest first" })
  @ApiOkResponse({ type: [EpisodeDto] })
  list(@Param('id') id: string, @CurrentUser() principal: Principal): Promise<EpisodeDto[]> {
    return this.episodes.list(principal, id);
  }

  @Get('days')
  @Roles('physician', 'nurse')
  @ApiOperation({
    summary: 'daily indicators per therapy day (noon to noon, patient time zone), newest first',
    description: '`days` (1–366, default 30) therapy days ending with `until` (default: the one in progress). A session counts on the day its start falls in, for its true duration (23/25-hour days across DST).',
  })
  @ApiOkResponse({ type: [TherapyDayDto] })
  getDays(@Param('id') id: string, @Query() q: DaysQueryDto, @CurrentUser() principal: Principal): Promise<TherapyDayDto[]> {
    return this.days.days(principal, id, { days: q.days ?? 30, until: q.until }, new Date());
  }

  @Post('reviews')
  @Roles('physician', 'nurse')
  @ApiOperation({ summary: "record a review: the operator's documented analysis of the patient's data" })
  @ApiCreatedResponse({ type: ReviewDto })
  createReview(@Param('id') id: string, @Body() body: CreateReviewDto, @CurrentUser() principal: Principal): Promise<ReviewDto> {
    return this.reviews.create(principal, id, body);
  }

  @Get('reviews')
  @Roles('physician', 'nurse')
  @ApiOperation({ summary: "the patient's reviews, newest first" })
  @ApiOkResponse({ type: [ReviewDto] })
  listReviews(@Param('id') id: string, @CurrentUser() principal: Principal): Promise<ReviewDto[]> {
    return this.reviews.list(principal, id);
  }
}

@ApiTags('episodes')
@ApiBearerAuth()
@Controller('api/episodes/:id')
export class EpisodesController {
  constructor(private readonly episodes: EpisodesService) {}

  @Post('end')
  @HttpCode(200)
  @Roles('physician', 'admin')
  @ApiOperation({ summary: 'end an active episode', description: "endDate: default today (patient's zone); not before the start, not in the future." })
  @ApiOkResponse({ type: EpisodeDto })
  end(@Param('id') id: string, @Body() body: EndEpisodeDto, @CurrentUser() principal: Principal): Promise<EpisodeDto> {
    return this.episodes.end(principal, id, body, new Date());
  }

  @Get('compliance')
  @Roles('physician', 'nurse', 'admin')
  @ApiOperation({
    summary: 'transmission compliance per month of the episode',
    description:
      'Month 1 from the start date, month k+1 from the same day of the month k months later (clamped to the last day of a shorter month). met = more than half of the counted days with data.',
  })
  @ApiOkResponse({ type: ComplianceDto })
  compliance(@Param('id') id: string, @CurrentUser() principal: Principal): Promise<ComplianceDto> {
    return this.episodes.compliance(principal, id, new Date());
  }
}

/** The console's patient list (docs/console.md): alerts on/off, transmission check, reviews. */
@ApiTags('episodes')
@ApiBearerAuth()
@Controller('api/telemonitoring/patients')
export class TelemonitoringPatientsController {
  constructor(private readonly episodes: EpisodesService) {}

  @Get()
  @Roles('physician', 'nurse')
  @ApiOperation({
    summary: "the patients of the caller's care teams under telemonitoring, for the console",
    description:
      'Per patient: the active episode (none: alerts off), the transmission check of its current month (belowTransmissionCheck: not met so far), the last review and reviewOverdue (no review for longer than REVIEW_CADENCE_DAYS, counted from the start of the episode when there is none).',
  })
  @ApiOkResponse({ type: [TelemonitoredPatientDto] })
  list(@CurrentUser() principal: Principal): Promise<TelemonitoredPatientDto[]> {
    return this.episodes.telemonitoredPatients(principal, new Date());
  }
}
