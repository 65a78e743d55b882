import { eq, type SQL } from 'drizzle-orm';
import { isResolvedStatus } from '../core/status-rules';
import {
  type ComponentStatus,
  type Incident,
  type IncidentImpact,
  type IncidentStatus,
  incidentComponents,
  incidents,
  incidentUpdates,
  type NewIncident,
  type Page,
} from '../db/schema';
import { AppError } from '../lib/errors';
import { newPublicId } from '../lib/ids';
import type { Actor } from './actor';
import { isGuardFailure } from './base';
import { type CommitEvent, type Statement, StatusService } from './status-base';
import { refreshIncidentImpact } from './status-impact';

/** The §3.3 default bodies, and ours for a status change that comes without a body. */
export const DEFAULT_BODIES: Partial<Record<IncidentStatus, string>> = {
  investigating: 'We are currently investigating this issue.',
  resolved: 'This incident has been resolved.',
  scheduled: 'We will be undergoing scheduled maintenance during this time.',
  in_progress:
    'Scheduled maintenance is currently in progress. We will provide updates as necessary.',
  completed: 'The scheduled maintenance has been completed.',
};

/** One incident write: optional new update, component changes, column changes, audit. */
export interface IncidentWrite {
  page: Page;
  /** The incident as it is now; null when this write creates it. */
  existing: Incident | null;
  /** Columns to set besides the status bookkeeping (for a create: name and the rest). */
  columns: Partial<NewIncident>;
  /** The new incident_updates row (spec §3.2 step 1), or null when nothing is posted. */
  update: { status: IncidentStatus; body: string; deliverNotifications: boolean } | null;
  /** Component id → new status, or null to record it unchanged (`component_ids`). */
  componentStatuses: ReadonlyMap<string, ComponentStatus | null>;
  audit: { action: string; before?: Record<string, unknown>; after?: Record<string, unknown> };
  now: Date;
  /** Automation's idempotency guard: when false at run time the whole batch rolls back. */
  onlyIf?: SQL;
}

/**
 * Incident writes shared by the management API and the maintenance automation (spec §3.2):
 * the incident row, its update, the incident_components rows with old and new statuses, the
 * components' own changes with their uptime log, the impact, the page and the audit row, in one
 * batch; then one incident event and a component event per real change.
 */
export abstract class IncidentWriter extends StatusService {
  /** Returns the incident's id, or null when the `onlyIf` guard stopped the batch. */
  protected async writeIncident(actor: Actor, write: IncidentWrite): Promise<string | null> {
    const { page, existing, now } = write;
    const affected = await this.pageComponents(page.id, [...write.componentStatuses.keys()]);
    const incidentId = existing?.id ?? newPublicId();
    const status = write.update?.status ?? existing?.status;
    if (!status) throw new AppError('BAD_REQUEST', 'An incident needs a status');

    const updateId = newPublicId();
    const recorded: { componentId: string; old: ComponentStatus; next: ComponentStatus }[] = [];
    if (write.update) {
      for (const component of affected) {
        const old = component.status ?? 'operational';
        recorded.push({
          componentId: component.id,
          old,
          next: write.componentStatuses.get(component.id) ?? old,
        });
      }
    }
    // `impact` is computed in SQL at the end of the batch (refreshIncidentImpact), from every
    // incident_components row committed by then: a concurrent update cannot lower the peak.
    const row = {
      ...write.columns,
      status,
      updatedAt: now,
      ...statusTimes(status, existing, now),
    };

    const db = this.database;
    const statements: Statement[] = [];
    if (write.onlyIf) {
      // First, so its failure stops the batch before anything else ran.
      statements.push(this.auditRow(actor, page, incidentId, write, write.onlyIf));
    }
    statements.push(
      existing
        ? db.update(incidents).set(row).where(eq(incidents.id, existing.id))
        : db.insert(incidents).values({
            name: '',
            startedAt: now,
            createdAt: now,
            impact: 'none', // a placeholder the impact refresh below replaces in this batch
            ...row,
            id: incidentId,
            pageId: page.id,
          }),
    );
    // The event names its update, so the payload and the notification choice are that update's
    // even when a later one has landed by the time the queue delivers it.
    const events: CommitEvent[] = [
      {
        kind: 'incident',
        pageId: page.id,
        incidentId,
        ...(write.update ? { incidentUpdateId: updateId } : {}),
      },
    ];
    if (write.update) {
      statements.push(
        db.insert(incidentUpdates).values({
          id: updateId,
          incidentId,
          status: write.update.status,
          body: write.update.body,
          displayAt: now,
          deliverNotifications: write.update.deliverNotifications,
          createdAt: now,
          updatedAt: now,
        }),
      );
      for (const change of recorded) {
        statements.push(
          db.insert(incidentComponents).values({
            id: newPublicId(),
            incidentId,
            incidentUpdateId: updateId,
            componentId: change.componentId,
            oldStatus: change.old,
            newStatus: change.next,
            createdAt: now,
          }),
        );
        const planned = this.changeComponentStatus(
          { id: change.componentId, pageId: page.id },
          change.old,
          change.next,
          now,
        );
        if (planned) {
          statements.push(...planned.statements);
          events.push(planned);
        }
      }
    }
    statements.push(refreshIncidentImpact(db, incidentId));
    if (!write.onlyIf) statements.push(this.auditRow(actor, page, incidentId, write));
    try {
      await this.commit(page.id, statements, now, events);
    } catch (error) {
      if (write.onlyIf && isGuardFailure(error)) return null;
      throw error;
    }
    return incidentId;
  }

  private auditRow(
    actor: Actor,
    page: Page,
    incidentId: string,
    write: IncidentWrite,
    onlyIf?: SQL,
  ) {
    return this.audit(
      actor,
      {
        orgId: page.orgId,
        action: write.audit.action,
        resourceType: 'status_incident',
        resourceId: incidentId,
        before: write.audit.before,
        after: write.audit.after,
      },
      onlyIf,
    );
  }
}

/**
 * §3.1 timestamps: `monitoring_at` on the first move to monitoring; `resolved_at` on resolved
 * or completed (kept through postmortem), cleared when the incident opens again (ours).
 */
function statusTimes(status: IncidentStatus, existing: Incident | null, now: Date) {
  const monitoringAt =
    status === 'monitoring' && !existing?.monitoringAt ? now : (existing?.monitoringAt ?? null);
  const resolvedAt = isResolvedStatus(status) ? (existing?.resolvedAt ?? now) : null;
  return { monitoringAt, resolvedAt };
}

export type { IncidentImpact };
