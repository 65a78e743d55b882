import type {
  AffectedComponentV2,
  ComponentStatus,
  ComponentsJsonV2,
  IncidentsJsonV2,
  IncidentUpdateV2,
  IncidentV2,
  ScheduledMaintenancesJsonV2,
  ScheduledMaintenanceV2,
  StatusComponentV2,
  StatusJsonV2,
  StatusPageV2,
  StatusSummaryV2,
  StatusV2,
} from '@skypatch/protocol';
import {
  ACTIVE_MAINTENANCE_STATUSES,
  incidentImpact,
  kindOfStatus,
  pageStatus,
  UNRESOLVED_STATUSES,
  UPCOMING_MAINTENANCE_STATUSES,
} from '../core/status-rules';
import type {
  Component,
  ComponentGroup,
  Incident,
  IncidentComponent,
  IncidentUpdate,
  Page,
} from '../db/schema';
import { latest, type PageUrlOptions, publicPageUrl, toComponentsV2 } from './serialize-components';
import { effectiveTimeZone, formatTimestamp, formatTimestampOrNull } from './time';

export { type PageUrlOptions, publicPageUrl, toComponentsV2 } from './serialize-components';

// Rows → Statuspage v2 objects (shared/specs/statuspage.md §1.3). Pure: the public JSON API, the
// HTML page, the feeds and the webhook payloads all render from these, so they agree. Keys are
// written in the order of Statuspage's own payloads (§7), which consumers do not need but diffs do.

/** Everything the public views need about one page (status-pages/snapshot.ts loads it). */
export interface StatusRows {
  page: Page;
  groups: ComponentGroup[];
  components: Component[];
  incidents: Incident[];
  updates: IncidentUpdate[];
  incidentComponents: IncidentComponent[];
}

const includes = (list: readonly string[], value: string) => list.includes(value);

/** Maintenances and realtime incidents share one table; the status says which one a row is. */
export const isMaintenance = (incident: Pick<Incident, 'status'>) =>
  kindOfStatus(incident.status) === 'scheduled';
export const isUnresolved = (incident: Pick<Incident, 'status'>) =>
  includes(UNRESOLVED_STATUSES, incident.status);

/** The serializer's lookups over one set of rows, built once per rows object. */
interface RowIndex {
  timeZone: string;
  components: StatusComponentV2[];
  componentById: Map<string, StatusComponentV2>;
  componentOrder: Map<string, number>;
  displayNameById: Map<string, string>;
  updatesByIncident: Map<string, IncidentUpdate[]>;
  linksByIncident: Map<string, IncidentComponent[]>;
  linksByUpdate: Map<string, IncidentComponent[]>;
}

const indexes = new WeakMap<StatusRows, RowIndex>();

/**
 * An affected component's `name`. The spec disagrees with itself here: §1.3 follows HUOBI's
 * payload ("Group - Component" for a grouped component), while §7's exact summary.json, the
 * acceptance fixture, names the grouped API component plain "API". The fixture wins until the
 * spec is settled; `groupName` is passed so the other reading is a one-line change.
 */
export function affectedComponentName(name: string, _groupName: string | undefined): string {
  return name;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function indexRows(rows: StatusRows): RowIndex {
  const known = indexes.get(rows);
  if (known) return known;
  const components = toComponentsV2(rows);
  const groupNames = new Map(rows.groups.map((group) => [group.id, group.name]));
  const displayNameById = new Map<string, string>();
  for (const component of rows.components) {
    const groupName = component.groupId ? groupNames.get(component.groupId) : undefined;
    displayNameById.set(component.id, affectedComponentName(component.name, groupName));
  }
  const updatesByIncident = new Map<string, IncidentUpdate[]>();
  for (const update of rows.updates) push(updatesByIncident, update.incidentId, update);
  const linksByIncident = new Map<string, IncidentComponent[]>();
  const linksByUpdate = new Map<string, IncidentComponent[]>();
  const linkOrder = (a: IncidentComponent, b: IncidentComponent) =>
    a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  for (const link of [...rows.incidentComponents].sort(linkOrder)) {
    push(linksByIncident, link.incidentId, link);
    if (link.incidentUpdateId) push(linksByUpdate, link.incidentUpdateId, link);
  }
  const index: RowIndex = {
    timeZone: effectiveTimeZone(rows.page.timezone),
    components,
    componentById: new Map(components.map((component) => [component.id, component])),
    componentOrder: new Map(components.map((component, order) => [component.id, order])),
    displayNameById,
    updatesByIncident,
    linksByIncident,
    linksByUpdate,
  };
  indexes.set(rows, index);
  return index;
}

const displayTime = (update: IncidentUpdate) => (update.displayAt ?? update.createdAt).getTime();

/** Newest first (§1.5): `display_at` descending, then `created_at`, then id. */
const newestUpdateFirst = (a: IncidentUpdate, b: IncidentUpdate) =>
  displayTime(b) - displayTime(a) ||
  b.createdAt.getTime() - a.createdAt.getTime() ||
  (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

function toAffectedComponents(
  index: RowIndex,
  links: IncidentComponent[],
): AffectedComponentV2[] | null {
  const affected: AffectedComponentV2[] = [];
  for (const link of links) {
    const current = index.componentById.get(link.componentId);
    const name = index.displayNameById.get(link.componentId);
    if (!current || !name) continue; // deleted since: the cascade removes its rows anyway
    const fallback: ComponentStatus = current.status;
    affected.push({
      code: link.componentId, // Statuspage's key is `code`, not `id` (WHD, ZUL)
      name,
      old_status: link.oldStatus ?? link.newStatus ?? fallback,
      new_status: link.newStatus ?? link.oldStatus ?? fallback,
    });
  }
  return affected.length > 0 ? affected : null;
}

function toIncidentUpdateV2(index: RowIndex, update: IncidentUpdate): IncidentUpdateV2 {
  const ts = (date: Date) => formatTimestamp(date, index.timeZone);
  return {
    id: update.id,
    status: update.status,
    body: update.body,
    incident_id: update.incidentId,
    created_at: ts(update.createdAt),
    updated_at: ts(update.updatedAt),
    display_at: ts(update.displayAt ?? update.createdAt),
    affected_components: toAffectedComponents(index, index.linksByUpdate.get(update.id) ?? []),
    deliver_notifications: update.deliverNotifications ?? true,
    custom_tweet: null,
    tweet_id: null,
  };
}

export type AnyIncidentV2 = IncidentV2 | ScheduledMaintenanceV2;

/**
 * One incident or maintenance (§1.3), with its updates newest first and the current state of
 * every component any of its updates touched. Maintenances (status scheduled … completed) carry
 * `scheduled_for`/`scheduled_until`; realtime incidents never do. `rows` must hold the
 * incident's updates and incident_components rows.
 */
export function toIncidentV2(
  rows: StatusRows,
  incident: Incident,
  options: { pageUrl: string },
): AnyIncidentV2 {
  const index = indexRows(rows);
  const ts = (date: Date) => formatTimestamp(date, index.timeZone);
  const updates = [...(index.updatesByIncident.get(incident.id) ?? [])].sort(newestUpdateFirst);
  const links = index.linksByIncident.get(incident.id) ?? [];
  const componentIds = [...new Set(links.map((link) => link.componentId))]
    .filter((id) => index.componentById.has(id))
    .sort((a, b) => (index.componentOrder.get(a) ?? 0) - (index.componentOrder.get(b) ?? 0));
  const maintenance = isMaintenance(incident);
  const json: IncidentV2 = {
    id: incident.id,
    name: incident.name,
    status: incident.status,
    created_at: ts(incident.createdAt),
    // An update is a change to the incident, whether or not the writer touched its row.
    updated_at: ts(
      latest(
        updates.map((update) => update.updatedAt),
        incident.updatedAt,
      ),
    ),
    monitoring_at: formatTimestampOrNull(incident.monitoringAt, index.timeZone),
    resolved_at: formatTimestampOrNull(incident.resolvedAt, index.timeZone),
    impact: incidentImpact({
      impactOverride: incident.impactOverride ?? null,
      kind: maintenance ? 'scheduled' : 'realtime',
      recordedStatuses: links.flatMap((link) => (link.newStatus ? [link.newStatus] : [])),
    }),
    shortlink: `${options.pageUrl}/incidents/${incident.id}`,
    started_at: ts(incident.startedAt ?? incident.createdAt),
    page_id: incident.pageId,
    incident_updates: updates.map((update) => toIncidentUpdateV2(index, update)),
    components: componentIds.flatMap((id) => {
      const component = index.componentById.get(id);
      return component ? [component] : [];
    }),
  };
  if (!maintenance) return json;
  const scheduledFor = maintenanceStart(incident);
  return {
    ...json,
    scheduled_for: ts(scheduledFor),
    scheduled_until: ts(incident.scheduledUntil ?? scheduledFor),
  } satisfies ScheduledMaintenanceV2;
}

/** When a maintenance starts; rows written without a window fall back to their start. */
export const maintenanceStart = (incident: Incident): Date =>
  incident.scheduledFor ?? incident.startedAt ?? incident.createdAt;

/** The page object (§1.3): `updated_at` is the latest change to anything the page shows. */
export function toPageV2(rows: StatusRows, options: { pageUrl: string }): StatusPageV2 {
  const timeZone = effectiveTimeZone(rows.page.timezone);
  const changes = [
    ...rows.groups.map((row) => row.updatedAt),
    ...rows.components.map((row) => row.updatedAt),
    ...rows.incidents.map((row) => row.updatedAt),
    ...rows.updates.map((row) => row.updatedAt),
  ];
  return {
    id: rows.page.id,
    name: rows.page.name,
    url: options.pageUrl,
    time_zone: timeZone === 'UTC' ? 'Etc/UTC' : timeZone,
    updated_at: formatTimestamp(latest(changes, rows.page.updatedAt), timeZone),
  };
}

/** The page indicator (§2.3) from the current components and unresolved incidents. */
export function toStatusV2(
  components: readonly StatusComponentV2[],
  unresolved: readonly Pick<IncidentV2, 'impact'>[],
): StatusV2 {
  return pageStatus(
    components.filter((component) => !component.group).map((component) => component.status),
    unresolved.map((incident) => incident.impact),
  );
}

/** The page's components as toComponentsV2 lists them, computed once per rows object. */
export function componentsOf(rows: StatusRows): StatusComponentV2[] {
  return indexRows(rows).components;
}

/** Incidents.json and scheduled-maintenances.json list at most this many (§1.2). */
export const PUBLIC_LIST_CAP = 50;

/** What the HTML page and the feeds need beyond the v2 objects. */
export interface PublicStatusDisplay {
  /** The company's own site, linked from the page header (pages.url). */
  companyUrl: string | null;
  allowPageSubscribers: boolean;
  allowIncidentSubscribers: boolean;
  allowWebhookSubscribers: boolean;
  allowRssAtomFeeds: boolean;
  hiddenFromSearch: boolean;
  /** Groups shown open on the HTML page (component_groups.expanded). */
  expandedGroupIds: string[];
  /** Published postmortems by incident id, in the page's time zone. */
  postmortems: Record<string, { body: string; published_at: string }>;
}

/**
 * One page's public state as v2 objects: the view model every public rendering starts from
 * (JSON API, HTML page, feeds). Plain JSON, so it can be cached as is.
 */
export interface PublicStatus {
  page: StatusPageV2;
  status: StatusV2;
  /** All components, group containers included, in components.json order. */
  components: StatusComponentV2[];
  /**
   * The realtime incidents loaded (every unresolved one, the 50 newest, and those created in the
   * snapshot's recent window), newest `created_at` first, ties by id descending.
   */
  incidents: IncidentV2[];
  /** The maintenances loaded (every open one and the 50 latest), `scheduled_for` descending. */
  scheduledMaintenances: ScheduledMaintenanceV2[];
  display: PublicStatusDisplay;
}

const newestCreatedFirst = (a: Incident, b: Incident) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** Latest window first (ours, §1.5): scheduled_for, then created_at, then id, all descending. */
const latestWindowFirst = (a: Incident, b: Incident) =>
  maintenanceStart(b).getTime() - maintenanceStart(a).getTime() || newestCreatedFirst(a, b);

export function buildPublicStatus(rows: StatusRows, options: PageUrlOptions): PublicStatus {
  const pageUrl = publicPageUrl(rows.page, options);
  const timeZone = effectiveTimeZone(rows.page.timezone);
  const components = componentsOf(rows);
  const incidents = rows.incidents
    .filter((incident) => !isMaintenance(incident))
    .sort(newestCreatedFirst)
    .map((incident) => toIncidentV2(rows, incident, { pageUrl }));
  const scheduledMaintenances = rows.incidents
    .filter(isMaintenance)
    .sort(latestWindowFirst)
    .map((incident) => toIncidentV2(rows, incident, { pageUrl }) as ScheduledMaintenanceV2); // isMaintenance → the scheduled fields are set
  const postmortems: PublicStatusDisplay['postmortems'] = {};
  for (const incident of rows.incidents) {
    if (incident.postmortemBody && incident.postmortemPublishedAt) {
      postmortems[incident.id] = {
        body: incident.postmortemBody,
        published_at: formatTimestamp(incident.postmortemPublishedAt, timeZone),
      };
    }
  }
  const { page } = rows;
  return {
    page: toPageV2(rows, { pageUrl }),
    status: toStatusV2(
      components,
      incidents.filter((incident) => isUnresolved(incident)),
    ),
    components,
    incidents,
    scheduledMaintenances,
    display: {
      companyUrl: page.url ?? null,
      allowPageSubscribers: page.allowPageSubscribers ?? true,
      allowIncidentSubscribers: page.allowIncidentSubscribers ?? true,
      allowWebhookSubscribers: page.allowWebhookSubscribers ?? true,
      allowRssAtomFeeds: page.allowRssAtomFeeds ?? true,
      hiddenFromSearch: page.hiddenFromSearch ?? false,
      expandedGroupIds: rows.groups.filter((group) => group.expanded ?? true).map((g) => g.id),
      postmortems,
    },
  };
}

const withStatus = <T extends { status: string }>(list: T[], statuses: readonly string[]) =>
  list.filter((item) => statuses.includes(item.status));

// Dashboards read `[0]` as "the next maintenance", so these lists run soonest first (ours, §1.5):
// the exact reverse of the descending order, ties included.
const soonestFirst = (list: ScheduledMaintenanceV2[], statuses: readonly string[]) =>
  withStatus(list, statuses).reverse();

/** summary.json (§1.2, §7). */
export function toSummaryV2(view: PublicStatus): StatusSummaryV2 {
  return {
    page: view.page,
    components: view.components,
    incidents: withStatus(view.incidents, UNRESOLVED_STATUSES),
    scheduled_maintenances: soonestFirst(view.scheduledMaintenances, [
      ...UPCOMING_MAINTENANCE_STATUSES,
      ...ACTIVE_MAINTENANCE_STATUSES,
    ]),
    status: view.status,
  };
}

export const toStatusJsonV2 = (view: PublicStatus): StatusJsonV2 => ({
  page: view.page,
  status: view.status,
});

export const toComponentsJsonV2 = (view: PublicStatus): ComponentsJsonV2 => ({
  page: view.page,
  components: view.components,
});

export const toIncidentsJsonV2 = (view: PublicStatus): IncidentsJsonV2 => ({
  page: view.page,
  incidents: view.incidents.slice(0, PUBLIC_LIST_CAP),
});

export const toUnresolvedIncidentsJsonV2 = (view: PublicStatus): IncidentsJsonV2 => ({
  page: view.page,
  incidents: withStatus(view.incidents, UNRESOLVED_STATUSES),
});

export const toScheduledMaintenancesJsonV2 = (view: PublicStatus): ScheduledMaintenancesJsonV2 => ({
  page: view.page,
  scheduled_maintenances: view.scheduledMaintenances.slice(0, PUBLIC_LIST_CAP),
});

export const toUpcomingMaintenancesJsonV2 = (view: PublicStatus): ScheduledMaintenancesJsonV2 => ({
  page: view.page,
  scheduled_maintenances: soonestFirst(view.scheduledMaintenances, UPCOMING_MAINTENANCE_STATUSES),
});

export const toActiveMaintenancesJsonV2 = (view: PublicStatus): ScheduledMaintenancesJsonV2 => ({
  page: view.page,
  scheduled_maintenances: soonestFirst(view.scheduledMaintenances, ACTIVE_MAINTENANCE_STATUSES),
});

/** The eight v2 documents by path under `/api/v2/`, without `.json` (§1.2). */
export const PUBLIC_V2_DOCUMENTS = {
  summary: toSummaryV2,
  status: toStatusJsonV2,
  components: toComponentsJsonV2,
  incidents: toIncidentsJsonV2,
  'incidents/unresolved': toUnresolvedIncidentsJsonV2,
  'scheduled-maintenances': toScheduledMaintenancesJsonV2,
  'scheduled-maintenances/upcoming': toUpcomingMaintenancesJsonV2,
  'scheduled-maintenances/active': toActiveMaintenancesJsonV2,
} as const satisfies Record<string, (view: PublicStatus) => unknown>;

export type PublicV2Endpoint = keyof typeof PUBLIC_V2_DOCUMENTS;
