import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AlertsApiModule } from '../alerts/alerts-api.module.js';
import { ClinicalModule } from '../clinical/clinical.module.js';
import { EpisodesModule } from '../episodes/episodes.module.js';
import { CareTeamEntity, PatientEntity, UserEntity } from '../registry/registry.entities.js';
import { ActivityService } from './activity.service.js';
import { PRODUCT_VERSION, readProductVersion } from './product-version.js';
import { ReportRepository } from './report.repository.js';
import { ReportsController } from './reports.controller.js';
import { ReportsService } from './reports.service.js';

/** Monthly and closing reports (PDF) and the operator's activity (issue 16). */
@Module({
  imports: [TypeOrmModule.forFeature([PatientEntity, UserEntity, CareTeamEntity]), EpisodesModule, ClinicalModule, AlertsApiModule],
  controllers: [ReportsController],
  providers: [ReportRepository, ReportsService, ActivityService, { provide: PRODUCT_VERSION, useFactory: readProductVersion }],
})
export class ReportsModule {}
