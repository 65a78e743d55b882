import type { RouteHandler } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { UptimeQuery, type UptimeReport } from '../services/status-uptime';
import { defineRoute, jsonResponse } from './openapi';
import {
  ComponentParams,
  createStatusRouter,
  GroupParams,
  jsonAlias,
  statuspageErrors,
  withoutJsonSuffix,
} from './status-router';

// Uptime of a component or a component group over up to 90 days (spec §6.2, OAS
// `ComponentUptime` / `ComponentGroupUptime`).

const tags = ['status pages'];
const read = { kind: 'page', permission: 'org.read' } as const;

const UptimeJson = z
  .object({
    id: z.string(),
    name: z.string(),
    range_start: z.string().openapi({ example: '2026-08-26' }),
    range_end: z.string().openapi({ example: '2026-11-23' }),
    uptime_percentage: z.number().openapi({ example: 99.85 }),
    major_outage: z.number().int().openapi({ description: 'Seconds in major outage' }),
    partial_outage: z.number().int().openapi({ description: 'Seconds in partial outage' }),
    warnings: z.array(z.string()),
    related_events: z.array(z.object({ name: z.string(), code: z.string() })),
  })
  .openapi('StatusUptime');

const query = UptimeQuery.openapi({
  description: 'Calendar dates (YYYY-MM-DD) in the page time zone; at most 90 days, ending today',
});

const componentUptime = defineRoute(read, {
  method: 'get',
  path: '/v1/pages/{page_id}/components/{component_id}/uptime',
  tags,
  operationId: 'getStatusComponentUptime',
  summary: "A component's uptime over a range of days (default the last 90)",
  request: { params: ComponentParams, query },
  responses: { 200: jsonResponse(UptimeJson, 'Uptime'), ...statuspageErrors },
});
const groupUptime = defineRoute(read, {
  method: 'get',
  path: '/v1/pages/{page_id}/component-groups/{component_group_id}/uptime',
  tags,
  operationId: 'getStatusComponentGroupUptime',
  summary: "A group's uptime: its showcased components' downtime averaged per day",
  request: { params: GroupParams, query },
  responses: { 200: jsonResponse(UptimeJson, 'Uptime'), ...statuspageErrors },
});

/** Field by field, so nothing the service adds later leaks. */
const toUptimeJson = (r: UptimeReport): z.infer<typeof UptimeJson> => ({
  id: r.id,
  name: r.name,
  range_start: r.range_start,
  range_end: r.range_end,
  uptime_percentage: r.uptime_percentage,
  major_outage: r.major_outage,
  partial_outage: r.partial_outage,
  warnings: r.warnings,
  related_events: r.related_events.map((e) => ({ name: e.name, code: e.code })),
});

const ofComponent: RouteHandler<typeof componentUptime, AppEnv> = async (c) => {
  const { page_id, component_id } = withoutJsonSuffix(c.req.valid('param'));
  const report = await c.var.services.statusUptime.componentUptime(
    c.var.actor,
    page_id,
    component_id,
    c.req.valid('query'),
  );
  return c.json(toUptimeJson(report), 200);
};
const ofGroup: RouteHandler<typeof groupUptime, AppEnv> = async (c) => {
  const { page_id, component_group_id } = withoutJsonSuffix(c.req.valid('param'));
  const report = await c.var.services.statusUptime.groupUptime(
    c.var.actor,
    page_id,
    component_group_id,
    c.req.valid('query'),
  );
  return c.json(toUptimeJson(report), 200);
};

export const statusUptimeRoutes = createStatusRouter()
  .openapi(componentUptime, ofComponent)
  .openapi(jsonAlias(componentUptime), ofComponent)
  .openapi(groupUptime, ofGroup)
  .openapi(jsonAlias(groupUptime), ofGroup);
