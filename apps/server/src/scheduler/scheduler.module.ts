import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module.js';
import { SchedulerService } from './scheduler.service.js';

/** Scheduled jobs: silent devices, nightly rules, escalations (issue 3). */
@Module({
  imports: [AlertsModule],
  providers: [SchedulerService],
  exports: [SchedulerService],
})
export class SchedulerModule {}
