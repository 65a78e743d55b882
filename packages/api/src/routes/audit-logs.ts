import { AuditLogPageJson, AuditLogQuery, PageQuery } from '@skypatch/protocol';
import type { AuditLog } from '../db/schema';
import {
  createRouter,
  defineRoute,
  errorResponses,
  iso,
  jsonResponse,
  toPageJson,
} from './openapi';
import { OrgParams } from './params';

function toAuditLogJson(row: AuditLog) {
  return {
    id: row.id,
    action: row.action,
    actorType: row.actorType,
    userId: row.userId,
    apiKeyId: row.apiKeyId,
    resourceType: row.resourceType,
    resourceId: row.resourceId,
    oldValues: row.oldValues ?? null,
    newValues: row.newValues ?? null,
    ipAddress: row.ipAddress,
    userAgent: row.userAgent,
    timestamp: iso(row.timestamp),
  };
}

const listAuditLogs = defineRoute(
  { kind: 'org', permission: 'audit.read' },
  {
    method: 'get',
    path: '/v1/orgs/{orgId}/audit-logs',
    tags: ['audit log'],
    operationId: 'listAuditLogs',
    summary: "The org's audit trail, newest first, with filters",
    request: { params: OrgParams, query: PageQuery.extend(AuditLogQuery.shape) },
    responses: { 200: jsonResponse(AuditLogPageJson, 'Newest first'), ...errorResponses },
  },
);

export const auditLogRoutes = createRouter().openapi(listAuditLogs, async (c) => {
  const input = { ...c.req.valid('param'), ...c.req.valid('query') };
  const page = await c.var.services.auditLogs.list(c.var.actor, input);
  return c.json(toPageJson(page, toAuditLogJson), 200);
});
