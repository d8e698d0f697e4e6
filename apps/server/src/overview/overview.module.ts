import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module.js';
import { ClinicalModule } from '../clinical/clinical.module.js';
import { EpisodesModule } from '../episodes/episodes.module.js';
import { OverviewController } from './overview.controller.js';
import { OverviewRepository } from './overview.repository.js';
import { OverviewService } from './overview.service.js';

/** The population view (CONTRACT.md §7, issue 18). */
@Module({
  imports: [AlertsModule, ClinicalModule, EpisodesModule],
  controllers: [OverviewController],
  providers: [OverviewRepository, OverviewService],
})
export class OverviewModule {}
