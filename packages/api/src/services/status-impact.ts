import { eq, inArray, sql } from 'drizzle-orm';
import { SCHEDULED_STATUSES } from '../core/status-rules';
import type { Database } from '../db';
import { incidentComponents, incidents } from '../db/schema';

// core/status-rules.ts `incidentImpact` written as one SQL statement, so an incident write's
// batch can end by recomputing the impact from every incident_components row committed so far:
// two concurrent updates cannot store a lower peak than the rows show (a read-then-write in
// TypeScript could). test/status-rules.test.ts runs it over the same table as the TS rule.

/** The peak over every recorded `new_status` (§2.5): degraded → minor, partial → major, major → critical. */
const peakOf = (
  incidentId: string,
) => sql`(SELECT CASE coalesce(max(CASE ${incidentComponents.newStatus}
    WHEN 'major_outage' THEN 3 WHEN 'partial_outage' THEN 2 WHEN 'degraded_performance' THEN 1
    ELSE 0 END), 0)
  WHEN 3 THEN 'critical' WHEN 2 THEN 'major' WHEN 1 THEN 'minor' ELSE 'none' END
  FROM ${incidentComponents} WHERE ${incidentComponents.incidentId} = ${incidentId})`;

/**
 * Sets `incidents.impact`: `impact_override` if set, else `maintenance` for a scheduled
 * incident, else the peak of its recorded statuses. Goes after the batch's incident and
 * incident_components writes, before the page refresh (whose indicator reads the impact).
 */
export function refreshIncidentImpact(db: Database, incidentId: string) {
  return db
    .update(incidents)
    .set({
      impact: sql`CASE
        WHEN ${incidents.impactOverride} IS NOT NULL THEN ${incidents.impactOverride}
        WHEN ${inArray(incidents.status, [...SCHEDULED_STATUSES])} THEN 'maintenance'
        ELSE ${peakOf(incidentId)} END`,
    })
    .where(eq(incidents.id, incidentId));
}
