import { isResolvedStatus } from '../core/status-rules';
import type { Incident } from '../db/schema';
import type { StatusEvent } from './events';
import { incidentManagementFields } from './incident-fields';
import { type StatusRows, toComponentsV2, toIncidentV2 } from './serialize';
import { effectiveTimeZone, formatTimestamp, formatTimestampOrNull } from './time';

// The body of a status webhook (shared/specs/statuspage.md §5.2), built from the same
// serializers as the public API so a receiver sees the objects summary.json shows. Pure.

/** Everything but `meta`, rendered once per event at fan-out; `generated_at` is its time. */
export interface WebhookSnapshot {
  generated_at: string;
  page: { id: string; status_indicator: string; status_description: string };
  incident?: Record<string, unknown>;
  component_update?: Record<string, unknown>;
  component?: Record<string, unknown>;
}

export interface WebhookMeta {
  unsubscribe: string;
  documentation: string;
}

/**
 * The full management incident (§5.2): the public §1.3 object plus `impact_override`,
 * `postmortem_*`, `backfilled` and the maintenance flags, its updates newest first. Left out:
 * `metadata` (the team's private key/values; Statuspage's webhook incident, ZUL, has none), and
 * the postmortem's body until it is published (a draft is not for receivers).
 */
function toWebhookIncident(rows: StatusRows, incident: Incident, pageUrl: string) {
  const timeZone = effectiveTimeZone(rows.page.timezone);
  const { incident_updates, components, ...publicFields } = toIncidentV2(rows, incident, {
    pageUrl,
  });
  const { metadata: _private, ...management } = incidentManagementFields(incident, (date) =>
    formatTimestampOrNull(date, timeZone),
  );
  return {
    ...publicFields,
    impact_override: incident.impactOverride ?? null,
    ...management,
    postmortem_body: incident.postmortemPublishedAt ? management.postmortem_body : null,
    // Statuspage's webhook updates carry two Twitter leftovers the public API drops (ZUL).
    incident_updates: incident_updates.map((update) => ({
      ...update,
      wants_twitter_update: false,
      twitter_updated_at: null,
    })),
    components,
  };
}

/**
 * The incident and rows as they stood when update `updateId` was posted: its updates up to and
 * including that one (a later update is another event's), the incident_components rows of those
 * updates (so components and impact are as of then), and the incident's status then. The
 * components themselves, and the page, are as they are now. Without the update (an event that
 * posted none), the incident as it is now.
 */
function asOfUpdate(rows: StatusRows, incident: Incident, updateId: string | undefined) {
  const target = rows.updates.find((row) => row.id === updateId && row.incidentId === incident.id);
  if (!target) return { rows, incident };
  const cut = target.createdAt.getTime();
  const updates = rows.updates.filter(
    (row) =>
      row.incidentId !== incident.id || row.id === target.id || row.createdAt.getTime() < cut,
  );
  const kept = new Set(updates.map((row) => row.id));
  const incidentComponents = rows.incidentComponents.filter(
    (link) =>
      link.incidentId !== incident.id || !link.incidentUpdateId || kept.has(link.incidentUpdateId),
  );
  const before = (date: Date | null) => (date && date.getTime() <= cut ? date : null);
  return {
    rows: { ...rows, updates, incidentComponents },
    incident: {
      ...incident,
      status: target.status,
      updatedAt: target.createdAt,
      monitoringAt: before(incident.monitoringAt),
      resolvedAt: isResolvedStatus(target.status)
        ? (before(incident.resolvedAt) ?? target.createdAt)
        : null,
    },
  };
}

/**
 * The event's body without `meta`, or null when what it names is gone (deleted since): then
 * there is nothing true to send. `rows` holds the page, its groups and components, and for an
 * incident event that incident with its updates and incident_components rows.
 */
export function buildWebhookSnapshot(
  rows: StatusRows,
  event: StatusEvent,
  options: { pageUrl: string; now: Date },
): WebhookSnapshot | null {
  const timeZone = effectiveTimeZone(rows.page.timezone);
  const head = {
    generated_at: formatTimestamp(options.now, timeZone),
    // The state after the change: the management batch stored it with the change.
    page: {
      id: rows.page.id,
      status_indicator: rows.page.statusIndicator ?? 'none',
      status_description: rows.page.statusDescription ?? 'All Systems Operational',
    },
  };
  if (event.kind === 'incident') {
    const current = rows.incidents.find((row) => row.id === event.incidentId);
    if (!current) return null;
    const asOf = asOfUpdate(rows, current, event.incidentUpdateId);
    return { ...head, incident: toWebhookIncident(asOf.rows, asOf.incident, options.pageUrl) };
  }
  const component = toComponentsV2(rows).find((row) => row.id === event.componentId);
  if (!component) return null;
  return {
    ...head,
    component_update: {
      old_status: event.oldStatus,
      new_status: event.newStatus,
      created_at: formatTimestamp(event.at, timeZone),
      component_type: 'Component',
      id: event.changeId,
      component_id: event.componentId,
    },
    component,
  };
}

/** The exact JSON text that is signed and sent: `meta` first, as Statuspage orders it. */
export function renderWebhookBody(snapshot: WebhookSnapshot, meta: WebhookMeta): string {
  const { generated_at, ...rest } = snapshot;
  return JSON.stringify({
    meta: { unsubscribe: meta.unsubscribe, documentation: meta.documentation, generated_at },
    ...rest,
  });
}
