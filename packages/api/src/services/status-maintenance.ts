import { and, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import {
  type ComponentStatus,
  type Incident,
  type IncidentStatus,
  incidentComponents,
  incidents,
  type Page,
  pages,
} from '../db/schema';
import { systemActor } from './actor';
import { DEFAULT_BODIES, IncidentWriter } from './status-incident-writer';

export const REMINDER_LEAD_MS = 60 * 60 * 1000;
export const REMINDER_BODY = 'Maintenance will begin as scheduled in 60 minutes.';

export interface MaintenanceRun {
  reminded: string[];
  started: string[];
  completed: string[];
}

/**
 * The scheduled-maintenance automation of spec §3.3, run by the minute cron: the 60-minute
 * reminder, the automatic start and the automatic completion, each with its component
 * transitions when the maintenance asks for them. Idempotent: every step is chosen by the
 * incident's status (and `scheduled_reminded_at`), and the same condition guards its batch, so
 * a second run, or two overlapping runs, add nothing.
 */
export class StatusMaintenanceService extends IncidentWriter {
  async runDue(now: Date): Promise<MaintenanceRun> {
    // In order: a window the cron missed entirely is started, then completed, in one run.
    const reminded = await this.remind(now);
    const started = await this.start(now);
    const completed = await this.complete(now);
    return { reminded, started, completed };
  }

  private async remind(now: Date): Promise<string[]> {
    const due = await this.due(
      and(
        eq(incidents.status, 'scheduled'),
        eq(incidents.scheduledRemindPrior, true),
        isNull(incidents.scheduledRemindedAt),
        gt(incidents.scheduledFor, now),
        lte(incidents.scheduledFor, new Date(now.getTime() + REMINDER_LEAD_MS)),
      ),
    );
    return this.each(due, (incident, page) =>
      this.transition(incident, page, now, {
        action: 'incident.auto_remind',
        status: 'scheduled',
        body: REMINDER_BODY,
        deliverNotifications: true,
        componentStatus: null,
        columns: { scheduledRemindedAt: now },
        guard: sql`${incidents.status} = 'scheduled' AND ${incidents.scheduledRemindedAt} IS NULL`,
      }),
    );
  }

  private async start(now: Date): Promise<string[]> {
    const due = await this.due(
      and(
        eq(incidents.status, 'scheduled'),
        eq(incidents.scheduledAutoInProgress, true),
        lte(incidents.scheduledFor, now),
      ),
    );
    return this.each(due, (incident, page) =>
      this.transition(incident, page, now, {
        action: 'incident.auto_start',
        status: 'in_progress',
        body: DEFAULT_BODIES.in_progress ?? '',
        deliverNotifications: incident.autoTransitionDeliverNotificationsAtStart ?? false,
        componentStatus: incident.autoTransitionToMaintenanceState ? 'under_maintenance' : null,
        columns: {},
        guard: sql`${incidents.status} = 'scheduled'`,
      }),
    );
  }

  private async complete(now: Date): Promise<string[]> {
    const open: IncidentStatus[] = ['scheduled', 'in_progress', 'verifying'];
    const due = await this.due(
      and(
        inArray(incidents.status, open),
        eq(incidents.scheduledAutoCompleted, true),
        lte(incidents.scheduledUntil, now),
      ),
    );
    return this.each(due, (incident, page) =>
      this.transition(incident, page, now, {
        action: 'incident.auto_complete',
        status: 'completed',
        body: DEFAULT_BODIES.completed ?? '',
        deliverNotifications: incident.autoTransitionDeliverNotificationsAtEnd ?? false,
        componentStatus: incident.autoTransitionToOperationalState ? 'operational' : null,
        // Only what the maintenance put under maintenance goes back: a component an incident
        // raised during the window keeps that incident's status.
        onlyFrom: 'under_maintenance',
        columns: {},
        guard: sql`${incidents.status} IN ('scheduled', 'in_progress', 'verifying')`,
      }),
    );
  }

  /** One automatic step as the system actor; null when another run got there first. */
  private async transition(
    incident: Incident,
    page: Page,
    now: Date,
    step: {
      action: string;
      status: IncidentStatus;
      body: string;
      deliverNotifications: boolean;
      /** What the maintenance's components move to; null leaves them alone. */
      componentStatus: ComponentStatus | null;
      /** Move only components now in this status; the others are recorded unchanged. */
      onlyFrom?: ComponentStatus;
      columns: Partial<Incident>;
      guard: ReturnType<typeof sql>;
    },
  ): Promise<string | null> {
    const named = step.componentStatus ? await this.componentsOf(incident.id) : [];
    const current = new Map(
      (await this.pageComponents(page.id, named)).map((row) => [row.id, row.status]),
    );
    const moves = (id: string) => !step.onlyFrom || current.get(id) === step.onlyFrom;
    return this.writeIncident(systemActor('scheduled maintenance automation', page.orgId), {
      page,
      existing: incident,
      columns: step.columns,
      update: {
        status: step.status,
        body: step.body,
        deliverNotifications: step.deliverNotifications,
      },
      componentStatuses: new Map(named.map((id) => [id, moves(id) ? step.componentStatus : null])),
      audit: {
        action: step.action,
        before: { status: incident.status },
        after: { status: step.status },
      },
      now,
      onlyIf: sql`EXISTS (SELECT 1 FROM ${incidents} WHERE ${incidents.id} = ${incident.id} AND ${step.guard})`,
    });
  }

  private async due(condition: ReturnType<typeof and>) {
    return this.getReadDb('fresh')
      .select({ incident: incidents, page: pages })
      .from(incidents)
      .innerJoin(pages, eq(pages.id, incidents.pageId))
      .where(condition)
      .orderBy(incidents.scheduledFor)
      .limit(100);
  }

  /** Steps run one after another: a failure is logged and the rest still run. */
  private async each(
    rows: { incident: Incident; page: Page }[],
    step: (incident: Incident, page: Page) => Promise<string | null>,
  ): Promise<string[]> {
    const done: string[] = [];
    for (const { incident, page } of rows) {
      try {
        if (await step(incident, page)) done.push(incident.id);
      } catch (error) {
        this.logger.error('Maintenance step failed', { incidentId: incident.id, error });
      }
    }
    return done;
  }

  /** The components a maintenance names: the distinct ids across its incident_components. */
  private async componentsOf(incidentId: string): Promise<string[]> {
    const rows = await this.getReadDb('fresh')
      .selectDistinct({ id: incidentComponents.componentId })
      .from(incidentComponents)
      .where(eq(incidentComponents.incidentId, incidentId));
    return rows.map((row) => row.id);
  }
}
