import { z } from 'zod';

// Statuspage's public v2 JSON (shared/specs/statuspage.md §1.3): the shapes existing widgets,
// monitors and bots parse. Field names, nesting and nulls follow Statuspage exactly; every
// timestamp is millisecond ISO 8601 in the page's time zone (§1.4). The HTML page and the feeds
// render from these same objects, so what the page shows is what the API says.

export const ComponentStatus = z.enum([
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
]);
export const IncidentStatus = z.enum([
  'investigating',
  'identified',
  'monitoring',
  'resolved',
  'postmortem',
  'scheduled',
  'in_progress',
  'verifying',
  'completed',
]);
export const IncidentImpact = z.enum(['none', 'minor', 'major', 'critical', 'maintenance']);
export const StatusIndicator = z.enum(['none', 'minor', 'major', 'critical', 'maintenance']);

/** Millisecond ISO 8601 in the page's zone with a numeric offset, `Z` at zero (§1.4). */
export const StatusTimestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$/);
/** A calendar date in the page's zone. */
export const StatusDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const StatusPageV2 = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  time_zone: z.string(),
  updated_at: StatusTimestamp,
});

export const StatusV2 = z.object({ indicator: StatusIndicator, description: z.string() });

export const StatusComponentV2 = z.object({
  id: z.string(),
  name: z.string(),
  status: ComponentStatus,
  created_at: StatusTimestamp,
  updated_at: StatusTimestamp,
  position: z.number().int(),
  description: z.string().nullable(),
  showcase: z.boolean(),
  start_date: StatusDate.nullable(),
  group_id: z.string().nullable(),
  page_id: z.string(),
  group: z.boolean(),
  only_show_if_degraded: z.boolean(),
  /** Present on group containers only: the children's ids in position order. */
  components: z.array(z.string()).optional(),
});

export const AffectedComponentV2 = z.object({
  code: z.string(),
  name: z.string(),
  old_status: ComponentStatus,
  new_status: ComponentStatus,
});

export const IncidentUpdateV2 = z.object({
  id: z.string(),
  status: IncidentStatus,
  body: z.string(),
  incident_id: z.string(),
  created_at: StatusTimestamp,
  updated_at: StatusTimestamp,
  display_at: StatusTimestamp,
  affected_components: z.array(AffectedComponentV2).nullable(),
  deliver_notifications: z.boolean(),
  custom_tweet: z.null(),
  tweet_id: z.null(),
});

export const IncidentV2 = z.object({
  id: z.string(),
  name: z.string(),
  status: IncidentStatus,
  created_at: StatusTimestamp,
  updated_at: StatusTimestamp,
  monitoring_at: StatusTimestamp.nullable(),
  resolved_at: StatusTimestamp.nullable(),
  impact: IncidentImpact,
  shortlink: z.string(),
  started_at: StatusTimestamp,
  page_id: z.string(),
  incident_updates: z.array(IncidentUpdateV2),
  components: z.array(StatusComponentV2),
});

export const ScheduledMaintenanceV2 = IncidentV2.extend({
  scheduled_for: StatusTimestamp,
  scheduled_until: StatusTimestamp,
});

export const StatusSummaryV2 = z.object({
  page: StatusPageV2,
  components: z.array(StatusComponentV2),
  incidents: z.array(IncidentV2),
  scheduled_maintenances: z.array(ScheduledMaintenanceV2),
  status: StatusV2,
});

export const StatusJsonV2 = z.object({ page: StatusPageV2, status: StatusV2 });
export const ComponentsJsonV2 = z.object({
  page: StatusPageV2,
  components: z.array(StatusComponentV2),
});
export const IncidentsJsonV2 = z.object({ page: StatusPageV2, incidents: z.array(IncidentV2) });
export const ScheduledMaintenancesJsonV2 = z.object({
  page: StatusPageV2,
  scheduled_maintenances: z.array(ScheduledMaintenanceV2),
});

export type ComponentStatus = z.infer<typeof ComponentStatus>;
export type IncidentStatus = z.infer<typeof IncidentStatus>;
export type IncidentImpact = z.infer<typeof IncidentImpact>;
export type StatusIndicator = z.infer<typeof StatusIndicator>;
export type StatusPageV2 = z.infer<typeof StatusPageV2>;
export type StatusV2 = z.infer<typeof StatusV2>;
export type StatusComponentV2 = z.infer<typeof StatusComponentV2>;
export type AffectedComponentV2 = z.infer<typeof AffectedComponentV2>;
export type IncidentUpdateV2 = z.infer<typeof IncidentUpdateV2>;
export type IncidentV2 = z.infer<typeof IncidentV2>;
export type ScheduledMaintenanceV2 = z.infer<typeof ScheduledMaintenanceV2>;
export type StatusSummaryV2 = z.infer<typeof StatusSummaryV2>;
export type StatusJsonV2 = z.infer<typeof StatusJsonV2>;
export type ComponentsJsonV2 = z.infer<typeof ComponentsJsonV2>;
export type IncidentsJsonV2 = z.infer<typeof IncidentsJsonV2>;
export type ScheduledMaintenancesJsonV2 = z.infer<typeof ScheduledMaintenancesJsonV2>;
