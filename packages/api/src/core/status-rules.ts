import type {
  ComponentStatus,
  IncidentImpact,
  IncidentStatus,
  StatusIndicator,
} from '@skypatch/protocol';

/**
 * The status-page rules of shared/specs/statuspage.md §2 and §3, pure: statuses in, the page
 * indicator, a group's status, an incident's impact or a validation verdict out. The services
 * store what these return, and the same rules are written once more as SQL (services/
 * status-indicator.ts) so a batch can recompute the page without a read; a test holds the two
 * together.
 */

export const STATUS_DESCRIPTIONS = {
  operational: 'All Systems Operational',
  majorOutage: 'Major System Outage',
  partialOutage: 'Partial System Outage',
  minorOutage: 'Minor Service Outage',
  degraded: 'Degraded System Service',
  partiallyDegraded: 'Partially Degraded Service',
  maintenance: 'Service Under Maintenance',
} as const;

export type StatusDescription = (typeof STATUS_DESCRIPTIONS)[keyof typeof STATUS_DESCRIPTIONS];

export interface PageStatus {
  indicator: StatusIndicator;
  description: StatusDescription;
}

const d = STATUS_DESCRIPTIONS;

/**
 * §2.3. `leaves` are the page's leaf components (group containers excluded); `openImpacts` the
 * impacts of its unresolved realtime incidents, which count only when the page has no leaf.
 * Steps 2–4 for two or more leaves are ours ("a best effort to blend", TLS).
 */
export function pageStatus(
  leaves: readonly ComponentStatus[],
  openImpacts: readonly IncidentImpact[] = [],
): PageStatus {
  if (leaves.length === 0) return statusFromImpacts(openImpacts);
  const all = (status: ComponentStatus) => leaves.every((leaf) => leaf === status);
  const any = (status: ComponentStatus) => leaves.includes(status);
  if (any('major_outage')) {
    return all('major_outage')
      ? { indicator: 'critical', description: d.majorOutage }
      : { indicator: 'major', description: d.partialOutage };
  }
  if (any('partial_outage')) {
    return all('partial_outage')
      ? { indicator: 'major', description: d.partialOutage }
      : { indicator: 'minor', description: d.minorOutage };
  }
  if (any('degraded_performance')) {
    return all('degraded_performance') && leaves.length >= 2
      ? { indicator: 'minor', description: d.degraded }
      : { indicator: 'minor', description: d.partiallyDegraded };
  }
  if (any('under_maintenance')) return { indicator: 'maintenance', description: d.maintenance };
  return { indicator: 'none', description: d.operational };
}

/** §2.3 step 1: a page without components reads its open incidents (texts are ours). */
function statusFromImpacts(impacts: readonly IncidentImpact[]): PageStatus {
  if (impacts.includes('critical')) return { indicator: 'critical', description: d.majorOutage };
  if (impacts.includes('major')) return { indicator: 'major', description: d.partialOutage };
  if (impacts.includes('minor')) return { indicator: 'minor', description: d.minorOutage };
  return { indicator: 'none', description: d.operational };
}

/** §2.4: worst first. `under_maintenance` ranks between degraded and operational (ours). */
const GROUP_RANK: Record<ComponentStatus, number> = {
  major_outage: 4,
  partial_outage: 3,
  degraded_performance: 2,
  under_maintenance: 1,
  operational: 0,
};

/** §2.4: a group container shows its worst child; an empty group is operational. */
export function groupStatus(children: readonly ComponentStatus[]): ComponentStatus {
  let worst: ComponentStatus = 'operational';
  for (const status of children) if (GROUP_RANK[status] > GROUP_RANK[worst]) worst = status;
  return worst;
}

const IMPACT_OF_STATUS: Record<ComponentStatus, IncidentImpact> = {
  operational: 'none',
  under_maintenance: 'none',
  degraded_performance: 'minor',
  partial_outage: 'major',
  major_outage: 'critical',
};
const IMPACT_RANK: Record<IncidentImpact, number> = {
  none: 0,
  maintenance: 0,
  minor: 1,
  major: 2,
  critical: 3,
};

/**
 * §2.5: `impact_override` if set; a scheduled maintenance is `maintenance`; a realtime incident
 * takes the peak over every `new_status` it ever recorded, so resolving never lowers it (ours).
 */
export function incidentImpact(input: {
  kind: IncidentKind;
  impactOverride: IncidentImpact | null;
  recordedStatuses: readonly ComponentStatus[];
}): IncidentImpact {
  if (input.impactOverride) return input.impactOverride;
  if (input.kind === 'scheduled') return 'maintenance';
  let peak: IncidentImpact = 'none';
  for (const status of input.recordedStatuses) {
    const impact = IMPACT_OF_STATUS[status];
    if (IMPACT_RANK[impact] > IMPACT_RANK[peak]) peak = impact;
  }
  return peak;
}

export const REALTIME_STATUSES = [
  'investigating',
  'identified',
  'monitoring',
  'resolved',
  'postmortem',
] as const satisfies readonly IncidentStatus[];
export const SCHEDULED_STATUSES = [
  'scheduled',
  'in_progress',
  'verifying',
  'completed',
] as const satisfies readonly IncidentStatus[];
/** Realtime statuses that keep an incident open (the v2 `unresolved` list). */
export const UNRESOLVED_STATUSES = [
  'investigating',
  'identified',
  'monitoring',
] as const satisfies readonly IncidentStatus[];
/** The maintenance status of the "upcoming" lists: not started yet. */
export const UPCOMING_MAINTENANCE_STATUSES = [
  'scheduled',
] as const satisfies readonly IncidentStatus[];
/** Maintenance statuses of the "upcoming or in progress" lists. */
export const ACTIVE_MAINTENANCE_STATUSES = [
  'in_progress',
  'verifying',
] as const satisfies readonly IncidentStatus[];

export type IncidentKind = 'realtime' | 'scheduled';

export function kindOfStatus(status: IncidentStatus): IncidentKind {
  return (SCHEDULED_STATUSES as readonly IncidentStatus[]).includes(status)
    ? 'scheduled'
    : 'realtime';
}

/**
 * §3.1: an incident keeps its kind for life; a status of the other kind is refused (422).
 * Returns why `status` may not be set on an incident of `kind`, or null when it may.
 */
export function statusKindError(kind: IncidentKind, status: IncidentStatus): string | null {
  if (kindOfStatus(status) === kind) return null;
  const allowed = kind === 'scheduled' ? SCHEDULED_STATUSES : REALTIME_STATUSES;
  return `Status ${status} is not valid for a ${kind === 'scheduled' ? 'scheduled maintenance' : 'realtime incident'}; use one of ${allowed.join(', ')}`;
}

/** §3.1 defaults: `scheduled` when a window is given, else `investigating` (LEG). */
export function defaultIncidentStatus(hasSchedule: boolean): IncidentStatus {
  return hasSchedule ? 'scheduled' : 'investigating';
}

/** Whether the status ends the incident: `resolved_at` is set on these, cleared off them. */
export function isResolvedStatus(status: IncidentStatus): boolean {
  return status === 'resolved' || status === 'postmortem' || status === 'completed';
}

const STATUS_LABELS: Record<IncidentStatus, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  postmortem: 'Postmortem',
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  verifying: 'Verifying',
  completed: 'Completed',
};

/**
 * §3.4: the label of one update in the HTML page, feeds and emails. "Update" replaces the
 * label when the status did not change since the previous (older) update.
 */
export function updateLabel(status: IncidentStatus, previous: IncidentStatus | null): string {
  return previous === status ? 'Update' : STATUS_LABELS[status];
}

export function statusLabel(status: IncidentStatus): string {
  return STATUS_LABELS[status];
}
