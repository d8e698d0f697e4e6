import { Module } from '@nestjs/common';
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
  exports: [AlertRepository, AlertLifecycleService, AlertDecisionService, RuleEvaluationService, AlertJobsService, RuleDataRepository, TrendRulesService],
})
export class AlertsModule {}
