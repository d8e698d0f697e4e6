import { Injectable } from '@nestjs/common';
import { PatientAccessService, type VisiblePatient } from '../access/patient-access.service.js';
import { AuditService, actorOf } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { TransactionRunner } from '../database/transaction.js';
import type { ReviewEntity } from './episode.entities.js';
import type { CreateReviewDto, ReviewDto } from './episodes.dto.js';
import { ReviewRepository } from './review.repository.js';

const view = (r: ReviewEntity): ReviewDto => ({ id: r.id, patientId: r.patientId, authorId: r.authorId, at: r.at.toISOString(), note: r.note, outcome: r.outcome });

/** Reviews: the operator's documented analysis of a patient's data (CONTRACT.md §6). */
@Injectable()
export class ReviewsService {
  constructor(
    private readonly access: PatientAccessService,
    private readonly audit: AuditService,
    private readonly tx: TransactionRunner,
    private readonly reviews: ReviewRepository,
  ) {}

  async create(principal: Principal, patientId: string, body: CreateReviewDto): Promise<ReviewDto> {
    return this.access.write(principal, patientId, { action: 'review.create' }, (patient) =>
      this.tx.run(async (tx) => {
        const review = await this.reviews.insert(tx.manager, patient, { authorId: principal.userId, note: body.note, outcome: body.outcome ?? null });
        // The note itself is clinical content: the audit keeps the id and whether an outcome was given.
        await this.audit.record(
          { action: 'review.create', actor: actorOf(principal), patientId: patient.id, targetType: 'review', targetId: review.id, details: { outcome: review.outcome !== null } },
          tx,
        );
        return view(review);
      }),
    );
  }

  async list(principal: Principal, patientId: string): Promise<ReviewDto[]> {
    return this.access.read(principal, patientId, { action: 'review.list' }, async (patient, note) => {
      const rows = await this.listOf(patient);
      note({ count: rows.length });
      return rows;
    });
  }

  /** The reviews of a patient the caller was given access to, newest first. */
  async listOf(patient: VisiblePatient): Promise<ReviewDto[]> {
    return (await this.reviews.listOfPatient(patient)).map(view);
  }
}
