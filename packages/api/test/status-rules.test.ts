import type { ComponentStatus, IncidentImpact, IncidentStatus } from '@skypatch/protocol';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  STATUS_DESCRIPTIONS as D,
  groupStatus,
  incidentImpact,
  kindOfStatus,
  type PageStatus,
  pageStatus,
  statusKindError,
  statusLabel,
  updateLabel,
} from '../src/core/status-rules';
import { components, incidents, pages } from '../src/db/schema';
import { newPublicId } from '../src/lib/ids';
import { refreshPage } from '../src/services/status-indicator';
import { createOrg, db } from './factories';

// The page indicator (spec §2.3) as one table, run through the pure rule and through the SQL
// statement every mutation's batch ends with: the two must agree on every row.

interface IndicatorVector {
  name: string;
  leaves: ComponentStatus[];
  openImpacts?: IncidentImpact[];
  want: PageStatus;
}

const none = { indicator: 'none', description: D.operational } as const;

export const indicatorVectors: IndicatorVector[] = [
  // §2.1: 0 components, "unless there is an active incident" (§2.3 step 1, texts ours).
  { name: '0 leaves → operational', leaves: [], want: none },
  {
    name: '0 leaves, open impact none → operational',
    leaves: [],
    openImpacts: ['none'],
    want: none,
  },
  {
    name: '0 leaves, open minor incident',
    leaves: [],
    openImpacts: ['minor'],
    want: { indicator: 'minor', description: D.minorOutage },
  },
  {
    name: '0 leaves, open major incident',
    leaves: [],
    openImpacts: ['minor', 'major'],
    want: { indicator: 'major', description: D.partialOutage },
  },
  {
    name: '0 leaves, open critical incident',
    leaves: [],
    openImpacts: ['critical', 'minor'],
    want: { indicator: 'critical', description: D.majorOutage },
  },
  // §2.1: one component.
  { name: '1 operational', leaves: ['operational'], want: none },
  {
    name: '1 under maintenance',
    leaves: ['under_maintenance'],
    want: { indicator: 'maintenance', description: D.maintenance },
  },
  {
    name: '1 degraded',
    leaves: ['degraded_performance'],
    want: { indicator: 'minor', description: D.partiallyDegraded },
  },
  {
    name: '1 partial outage',
    leaves: ['partial_outage'],
    want: { indicator: 'major', description: D.partialOutage },
  },
  {
    name: '1 major outage',
    leaves: ['major_outage'],
    want: { indicator: 'critical', description: D.majorOutage },
  },
  // §2.2: real payloads.
  {
    name: 'all operational (WHD)',
    leaves: ['operational', 'operational', 'operational'],
    want: none,
  },
  {
    name: '1 of many degraded (HUOBI)',
    leaves: ['operational', 'degraded_performance', 'operational'],
    want: { indicator: 'minor', description: D.partiallyDegraded },
  },
  {
    name: 'partial + major (V2DOC)',
    leaves: ['partial_outage', 'major_outage'],
    want: { indicator: 'major', description: D.partialOutage },
  },
  {
    name: 'one under maintenance among operational (ZUL)',
    leaves: ['under_maintenance', 'operational'],
    want: { indicator: 'maintenance', description: D.maintenance },
  },
  // §2.3 steps 2–5 for two or more leaves (ours).
  {
    name: 'all major',
    leaves: ['major_outage', 'major_outage'],
    want: { indicator: 'critical', description: D.majorOutage },
  },
  {
    name: 'major among operational',
    leaves: ['major_outage', 'operational'],
    want: { indicator: 'major', description: D.partialOutage },
  },
  {
    name: 'all partial',
    leaves: ['partial_outage', 'partial_outage'],
    want: { indicator: 'major', description: D.partialOutage },
  },
  {
    name: 'partial among operational and degraded',
    leaves: ['partial_outage', 'operational', 'degraded_performance'],
    want: { indicator: 'minor', description: D.minorOutage },
  },
  {
    name: 'all degraded',
    leaves: ['degraded_performance', 'degraded_performance'],
    want: { indicator: 'minor', description: D.degraded },
  },
  {
    name: 'degraded and maintenance',
    leaves: ['degraded_performance', 'under_maintenance'],
    want: { indicator: 'minor', description: D.partiallyDegraded },
  },
  {
    name: 'all under maintenance',
    leaves: ['under_maintenance', 'under_maintenance'],
    want: { indicator: 'maintenance', description: D.maintenance },
  },
  {
    name: 'leaves present: open incidents do not raise the indicator',
    leaves: ['operational'],
    openImpacts: ['critical'],
    want: none,
  },
];

describe('pageStatus (pure)', () => {
  it.each(indicatorVectors)('$name', ({ leaves, openImpacts, want }) => {
    expect(pageStatus(leaves, openImpacts)).toEqual(want);
  });
});

describe('the indicator SQL agrees with pageStatus', () => {
  it.each(indicatorVectors)('$name', async ({ leaves, openImpacts = [], want }) => {
    const { org } = await createOrg();
    const pageId = newPublicId();
    const now = new Date();
    await db()
      .insert(pages)
      .values({
        id: pageId,
        orgId: org.id,
        name: 'Vectors',
        subdomain: `v-${pageId}`,
        statusIndicator: 'major', // something the refresh must overwrite
        statusDescription: 'stale',
        updatedAt: new Date(0),
      });
    const incident = (status: IncidentStatus, impact: IncidentImpact) => ({
      id: newPublicId(),
      pageId,
      name: `${status} ${impact}`,
      status,
      impact,
    });
    const incidentRows = [
      ...openImpacts.map((impact) => incident('identified', impact)),
      // Neither a resolved incident nor a maintenance counts, whatever its impact.
      incident('resolved', 'critical'),
      incident('in_progress', 'maintenance'),
    ];
    await db().insert(incidents).values(incidentRows);
    if (leaves.length > 0) {
      await db()
        .insert(components)
        .values(leaves.map((status) => ({ id: newPublicId(), pageId, name: status, status })));
    }
    await db().batch([refreshPage(db(), pageId, now)]);
    const [row] = await db().select().from(pages).where(eq(pages.id, pageId));
    expect({ indicator: row?.statusIndicator, description: row?.statusDescription }).toEqual(want);
    expect(row?.updatedAt.getTime()).toBe(now.getTime());
  });
});

describe('groupStatus (§2.4)', () => {
  it.each([
    { children: [], want: 'operational' },
    { children: ['operational', 'partial_outage'], want: 'partial_outage' },
    { children: ['under_maintenance', 'operational'], want: 'under_maintenance' },
    { children: ['under_maintenance', 'degraded_performance'], want: 'degraded_performance' },
    { children: ['major_outage', 'partial_outage', 'degraded_performance'], want: 'major_outage' },
  ] satisfies { children: ComponentStatus[]; want: ComponentStatus }[])(
    '$children → $want',
    ({ children, want }) => {
      expect(groupStatus(children)).toBe(want);
    },
  );
});

describe('incidentImpact (§2.5)', () => {
  it.each([
    { name: 'stayed operational → none', recorded: ['operational'], want: 'none' },
    { name: 'degraded → minor', recorded: ['degraded_performance'], want: 'minor' },
    {
      name: 'partial + major → critical',
      recorded: ['partial_outage', 'major_outage'],
      want: 'critical',
    },
    {
      name: 'peak kept after resolution',
      recorded: ['degraded_performance', 'operational'],
      want: 'minor',
    },
    { name: 'maintenance is no outage', recorded: ['under_maintenance'], want: 'none' },
  ] satisfies { name: string; recorded: ComponentStatus[]; want: IncidentImpact }[])(
    '$name',
    ({ recorded, want }) => {
      expect(
        incidentImpact({ kind: 'realtime', impactOverride: null, recordedStatuses: recorded }),
      ).toBe(want);
    },
  );

  it('takes the override, and maintenance for scheduled incidents', () => {
    expect(
      incidentImpact({
        kind: 'realtime',
        impactOverride: 'critical',
        recordedStatuses: ['operational'],
      }),
    ).toBe('critical');
    expect(
      incidentImpact({
        kind: 'scheduled',
        impactOverride: null,
        recordedStatuses: ['major_outage'],
      }),
    ).toBe('maintenance');
  });
});

describe('status kinds (§3.1) and labels (§3.4)', () => {
  it('accepts statuses of the incident’s own kind only', () => {
    expect(kindOfStatus('monitoring')).toBe('realtime');
    expect(kindOfStatus('verifying')).toBe('scheduled');
    expect(statusKindError('realtime', 'resolved')).toBeNull();
    expect(statusKindError('scheduled', 'completed')).toBeNull();
    expect(statusKindError('realtime', 'in_progress')).toMatch(/not valid for a realtime/);
    expect(statusKindError('scheduled', 'investigating')).toMatch(/scheduled maintenance/);
  });

  it('labels updates, with "Update" for a repeated status', () => {
    expect(statusLabel('in_progress')).toBe('In progress');
    expect(updateLabel('monitoring', 'identified')).toBe('Monitoring');
    expect(updateLabel('monitoring', 'monitoring')).toBe('Update');
    expect(updateLabel('investigating', null)).toBe('Investigating');
  });
});
