import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AuditLogEntity } from '../audit/audit-log.entity.js';
import type { AuditEntryView, RejectionView } from './admin-query.dto.js';

export interface Page {
  since?: Date;
  limit: number;
}

/** Read side of the audit log and of the dead letters (rejections), newest first. */
@Injectable()
export class AdminLogRepository {
  constructor(@InjectRepository(AuditLogEntity) private readonly log: Repository<AuditLogEntity>) {}

  audit(filter: Page & { beforeId?: string; patientId?: string; actorId?: string; action?: string }): Promise<AuditEntryView[]> {
    const q = this.log.createQueryBuilder('a');
    // A list's entry names its patients in details.patientIds (served by audit_log_patient_ids_idx).
    if (filter.patientId) q.andWhere(`(a.patientId = :patientId OR a.details->'patientIds' ? CAST(:patientId AS text))`, { patientId: filter.patientId });
    if (filter.actorId) q.andWhere('a.actorId = :actorId', { actorId: filter.actorId });
    if (filter.action?.endsWith('*')) {
      // The pattern allows no LIKE wildcards but `_`, escaped here.
      q.andWhere('a.action LIKE :prefix', { prefix: filter.action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`) + '%' });
    } else if (filter.action) {
      q.andWhere('a.action = :action', { action: filter.action });
    }
    if (filter.since) q.andWhere('a.at >= :since', { since: filter.since });
    if (filter.beforeId) q.andWhere('a.id < :beforeId', { beforeId: filter.beforeId });
    return q.orderBy('a.id', 'DESC').limit(filter.limit).getMany();
  }

  /** rejections is the ingest path's table (written there in bulk): read here without an entity. */
  rejections(filter: Page & { deviceId?: string }): Promise<RejectionView[]> {
    const q = this.log.manager
      .createQueryBuilder()
      .select('r.id::text', 'id')
      .addSelect('r.device_id', 'deviceId')
      .addSelect('r.topic', 'topic')
      .addSelect('r.reason', 'reason')
      .addSelect('r.detail', 'detail')
      .addSelect('r.received_at', 'receivedAt')
      .addSelect('r.excerpt', 'excerpt')
      .from('rejections', 'r');
    if (filter.deviceId) q.andWhere('r.device_id = :deviceId', { deviceId: filter.deviceId });
    if (filter.since) q.andWhere('r.received_at >= :since', { since: filter.since });
    return q.orderBy('r.received_at', 'DESC').addOrderBy('r.id', 'DESC').limit(filter.limit).getRawMany<RejectionView>();
  }
}
