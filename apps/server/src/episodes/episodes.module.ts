import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CareTeamMemberRepository } from './care-team-member.repository.js';
import { EPISODE_ENTITIES } from './episode.entities.js';
import { EpisodeRepository } from './episode.repository.js';
import { EpisodesController, PatientEpisodesController, TelemonitoringPatientsController } from './episodes.controller.js';
import { EpisodesService } from './episodes.service.js';
import { ReviewRepository } from './review.repository.js';
import { ReviewsService } from './reviews.service.js';
import { TherapyDataRepository } from './therapy-data.repository.js';
import { TherapyDaysService } from './therapy-days.service.js';

/** Telemonitoring episodes, therapy days, transmission compliance and reviews (LATM, issue 15). */
@Module({
  imports: [TypeOrmModule.forFeature(EPISODE_ENTITIES)],
  controllers: [PatientEpisodesController, EpisodesController, TelemonitoringPatientsController],
  providers: [EpisodeRepository, CareTeamMemberRepository, TherapyDataRepository, ReviewRepository, EpisodesService, TherapyDaysService, ReviewsService],
  exports: [EpisodesService, TherapyDaysService, ReviewsService],
})
export class EpisodesModule {}
