import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PatientEntity, UserCareTeamEntity, UserEntity } from '../registry/registry.entities.js';
import { ALERT_ENTITIES } from './alert.entities.js';
import { RuleSnoozeEntity } from './snooze.entity.js';
import { AlertDecisionService } from './alert-decision.service.js';
import { AlertJobsService } from './alert-jobs.service.js';
import { AlertLifecycleService } from './alert-lifecycle.service.js';
import { AlertWriteRepository } from './alert-write.repository.js';
import { AlertRepository } from './alert.repository.js';
import { RuleDataRepository } from './rule-data.repository.js';
import { RuleEvaluationService } from './rule-evaluation.service.js';
import { TrendRulesService } from './trend-rules.service.js';

/**
 * Alert rules evaluation and the alert lifecycle (issue 3): the evaluator fed by ingestion,
 * decision persistence, human transitions (acknowledge/resolve) and the jobs the scheduler runs.
 * REST routes live in AlertsApiModule (api role only).
 */
@Module({
  // Users, memberships and patients: the physicians an escalated alert goes to (ingest and
  // scheduler processes load no registry module of their own).
  imports: [TypeOrmModule.forFeature([...ALERT_ENTITIES, RuleSnoozeEntity, UserEntity, UserCareTeamEntity, PatientEntity])],
  providers: [
    AlertRepository,
    AlertWriteRepository,
    RuleDataRepository,
    AlertLifecycleService,
    AlertDecisionService,
    TrendRulesService,
    RuleEvaluationService,
    AlertJobsService,
  ],
  exports: [TypeOrmModule, AlertRepository, AlertWriteRepository, AlertLifecycleService, AlertDecisionService, RuleEvaluationService, AlertJobsService, RuleDataRepository, TrendRulesService],
})
export class AlertsModule {}
