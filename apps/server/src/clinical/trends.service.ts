import { Injectable } from '@nestjs/common';
import type { SampleMetric } from '#domain';
import { PatientAccessService } from '../access/patient-access.service.js';
import type { Principal } from '../auth/principal.js';
import { planTrend, type TrendBucket } from './trend-range.js';
import { TrendsRepository, type TrendBucketView } from './trends.repository.js';

@Injectable()
export class TrendsService {
  constructor(
    private readonly access: PatientAccessService,
    private readonly repository: TrendsRepository,
  ) {}

  async read(principal: Principal, patientId: string, q: { metric: SampleMetric; from: Date; to: Date; bucket: TrendBucket }): Promise<TrendBucketView[]> {
    const details = { metric: q.metric, bucket: q.bucket, from: q.from.toISOString(), to: q.to.toISOString() };
    return this.access.read(principal, patientId, { action: 'patient.trends.read', details }, (patient) =>
      this.repository.buckets(patient, q.metric, planTrend(q.bucket, q.from, q.to)),
    );
  }
}
