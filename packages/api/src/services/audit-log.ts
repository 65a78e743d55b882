import { AuditLogQuery } from '@skypatch/protocol';
import { desc, eq, gte, lt, or } from 'drizzle-orm';
import { z } from 'zod';
import { auditLogs } from '../db/schema';
import { PageInput, toPage } from '../lib/pagination';
import type { Actor } from './actor';
import { BaseService } from './base';

const ListInput = PageInput.extend(AuditLogQuery.shape).extend({
  orgId: z.string().min(1).max(64),
  since: z.coerce.date().optional(),
  until: z.coerce.date().optional(),
});

/** Reads the org's audit trail, newest first; writes happen in every other service's batch. */
export class AuditLogService extends BaseService {
  async list(actor: Actor, input: z.input<typeof ListInput>) {
    const { orgId, cursor, limit, actorId, action, resourceType, resourceId, since, until } =
      ListInput.parse(input);
    await this.authorize(actor, orgId, 'audit.read');
    const rows = await this.getReadDb('fresh')
      .select()
      .from(auditLogs)
      .where(
        this.buildWhereConditions([
          // (org_id, timestamp) is indexed: every filter below narrows an index range scan.
          eq(auditLogs.orgId, orgId),
          actorId ? or(eq(auditLogs.userId, actorId), eq(auditLogs.apiKeyId, actorId)) : undefined,
          action ? eq(auditLogs.action, action) : undefined,
          resourceType ? eq(auditLogs.resourceType, resourceType) : undefined,
          resourceId ? eq(auditLogs.resourceId, resourceId) : undefined,
          since ? gte(auditLogs.timestamp, since) : undefined,
          until ? lt(auditLogs.timestamp, until) : undefined,
          this.afterCursor(auditLogs.timestamp, auditLogs.id, cursor),
        ]),
      )
      .orderBy(desc(auditLogs.timestamp), desc(auditLogs.id))
      .limit(limit + 1);
    return toPage(rows, limit, (row) => row.timestamp);
  }
}
