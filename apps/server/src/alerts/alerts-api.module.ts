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

/** REST: alerts (list, read, acknowledge, resolve) and per-patient thresholds. */
@Module({
  imports: [AlertsModule],
  controllers: [AlertsController, ThresholdsController],
  providers: [AlertQueryService, AlertEvidenceService, AlertEvidenceRepository, ThresholdsRepository, ThresholdsService, ThresholdsPreviewService, ReplayDataRepository],
  exports: [AlertQueryService, ThresholdsService],
})
export class AlertsApiModule {}
