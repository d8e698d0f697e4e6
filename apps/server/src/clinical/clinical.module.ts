import { Module } from '@nestjs/common';
import { AlertHandlingController } from './alert-handling.controller.js';
import { AlertHandlingService } from './alert-handling.service.js';
import { ClinicalController } from './clinical.controller.js';
import { NightsRepository } from './nights.repository.js';
import { NightsService } from './nights.service.js';
import { AlertHandlingRepository } from './alert-handling.repository.js';
import { TrendsRepository } from './trends.repository.js';
import { TrendsService } from './trends.service.js';

/** Physicians' trends, nights and reports (issue 5). */
@Module({
  controllers: [ClinicalController, AlertHandlingController],
  providers: [AlertHandlingRepository, AlertHandlingService, TrendsRepository, TrendsService, NightsRepository, NightsService],
  exports: [TrendsRepository, NightsService, AlertHandlingService],
})
export class ClinicalModule {}
