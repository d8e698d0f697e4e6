import { Injectable } from '@nestjs/common';
import type { SampleMetric } from '#domain';
import type { Principal } from '../auth/principal.js';
import { PatientReadGate } from './patient-read.gate.js';
import { planTrend, type TrendBucket } from './trend-range.js';
import { TrendsRepository, type TrendBucketView } from './trends.repository.js';

@Injectable()
export class TrendsService {
  constructor(
    private readonly gate: PatientReadGate,
    private readonly repository: TrendsRepository,
  ) {}

  async read(principal: Principal, patientId: string, q: { metric: SampleMetric; from: Date; to: Date; bucket: TrendBucket }): Promise<TrendBucketView[]> {
    const details = { metric: q.metric, bucket: q.bucket, from: q.from.toISOString(), to: q.to.toISOString() };
    const patient = await this.gate.open(principal, patientId, 'patient.trends.read', details);
    const plan = planTrend(q.bucket, q.from, q.to);
    const buckets = await this.repository.buckets(patient, q.metric, plan);
    await this.gate.served(principal, patientId, 'patient.trends.read', details);
    return buckets;
  }
}
