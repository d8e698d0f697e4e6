import { Module } from '@nestjs/common';
import { AlertQueryService } from './alert-query.service.js';
import { AlertEvidenceRepository } from './alert-evidence.repository.js';
import { AlertEvidenceService } from './alert-evidence.service.js';
import { AlertsController } from './alerts.controller.js';
import { AlertsModule } from './alerts.module.js';
import { ThresholdsController } from './thresholds.controller.js';
import { ThresholdsRepository } from './thresholds.repository.js';
import { ThresholdsService } from './thresholds.service.js';
import { ThresholdsPreviewService } from './thresholds-preview.service.js';
import { ReplayDataRepository } from './replay-data.repository.js';
import { SnoozeRepository } from './snooze.repository.js';
import { SnoozesController } from './snoozes.controller.js';
import { SnoozesService } from './snoozes.service.js';

/** REST: alerts (list, read, acknowledge, resolve), per-patient thresholds and snoozes. */
@Module({
  imports: [AlertsModule],
  controllers: [AlertsController, ThresholdsController, SnoozesController],
  providers: [AlertQueryService, AlertEvidenceService, AlertEvidenceRepository, ThresholdsRepository, ThresholdsService, ThresholdsPreviewService, ReplayDataRepository, SnoozeRepository, SnoozesService],
  exports: [AlertQueryService, ThresholdsService],
})
export class AlertsApiModule {}
