import {
  CreateIncidentBody,
  type CreateIncidentBody as CreateIncidentInput,
  type IncidentFields,
  IncidentListQuery,
  UpdateIncidentBody,
  type UpdateIncidentBody as UpdateIncidentInput,
  UpdateIncidentUpdateBody,
  type UpdateIncidentUpdateBody as UpdateIncidentUpdateInput,
} from '@skypatch/protocol';
import { and, asc, desc, eq, inArray, like, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import {
  ACTIVE_MAINTENANCE_STATUSES,
  defaultIncidentStatus,
  kindOfStatus,
  SCHEDULED_STATUSES,
  statusKindError,
  UNRESOLVED_STATUSES,
} from '../core/status-rules';
import {
  type ComponentStatus,
  components,
  type Incident,
  type IncidentStatus,
  incidents,
  incidentUpdates,
  type NewIncident,
} from '../db/schema';
import { AppError } from '../lib/errors';
import type { Actor } from './actor';
import { type IncidentDetail, loadIncidentDetails } from './status-incident-details';
import { DEFAULT_BODIES, IncidentWriter } from './status-incident-writer';

/** The incident lists of spec §4.2, beside the plain list. */
export type IncidentFilter = 'all' | 'unresolved' | 'upcoming' | 'scheduled' | 'active_maintenance';

const FILTERS: Record<IncidentFilter, SQL | undefined> = {
  all: undefined,
  unresolved: inArray(incidents.status, [...UNRESOLVED_STATUSES]),
  upcoming: eq(incidents.status, 'scheduled'),
  scheduled: inArray(incidents.status, [...SCHEDULED_STATUSES]),
  active_maintenance: inArray(incidents.status, [...ACTIVE_MAINTENANCE_STATUSES]),
};

/** Realtime incidents and scheduled maintenances, and their updates (spec §3, §4). */
export class StatusIncidentService extends IncidentWriter {
  async list(
    actor: Actor,
    pageId: string,
    filter: IncidentFilter,
    query: z.input<typeof IncidentListQuery> = {},
  ): Promise<IncidentDetail[]> {
    const { q, limit, page: pageNumber } = IncidentListQuery.parse(query);
    const page = await this.ownedPage(actor, pageId, 'org.read');
    const db = this.getReadDb('fresh');
    // Maintenance lists read soonest first: dashboards take [0] as "the next one" (§1.5).
    const order =
      filter === 'upcoming' || filter === 'active_maintenance'
        ? [asc(incidents.scheduledFor), asc(incidents.id)]
        : [desc(incidents.createdAt), desc(incidents.id)];
    const rows = await db
      .select()
      .from(incidents)
      .where(
        and(
          eq(incidents.pageId, page.id),
          FILTERS[filter],
          q ? like(incidents.name, `%${q.replace(/[%_\\]/g, '')}%`) : undefined,
        ),
      )
      .orderBy(...order)
      .limit(limit)
      .offset((pageNumber - 1) * limit);
    return loadIncidentDetails(db, rows);
  }

  async get(actor: Actor, pageId: string, incidentId: string): Promise<IncidentDetail> {
    const page = await this.ownedPage(actor, pageId, 'org.read');
    return this.detail(await this.findIncident(page.id, incidentId));
  }

  async create(actor: Actor, pageId: string, input: CreateIncidentInput): Promise<IncidentDetail> {
    const { incident: fields } = CreateIncidentBody.parse(input);
    const page = await this.ownedPage(actor, pageId, 'incident.manage');
    const status = fields.status ?? defaultIncidentStatus(fields.scheduled_for !== undefined);
    const kind = kindOfStatus(status);
    checkSchedule(kind, fields.scheduled_for, fields.scheduled_until);
    const columns = columnsOf(fields);
    const id = await this.writeIncident(actor, {
      page,
      existing: null,
      columns,
      update: {
        status,
        body: fields.body ?? fields.message ?? DEFAULT_BODIES[status] ?? '',
        deliverNotifications: fields.deliver_notifications ?? true,
      },
      componentStatuses: componentStatuses(fields),
      audit: { action: 'incident.create', after: { name: fields.name, status } },
      now: new Date(),
    });
    return this.get(actor, page.id, mustHave(id));
  }

  /** A PATCH carrying a body, a status or components posts an update (spec §3.2, §4.2). */
  async update(
    actor: Actor,
    pageId: string,
    incidentId: string,
    input: UpdateIncidentInput,
  ): Promise<IncidentDetail> {
    const { incident: fields } = UpdateIncidentBody.parse(input);
    const page = await this.ownedPage(actor, pageId, 'incident.manage');
    const existing = await this.findIncident(page.id, incidentId);
    const kind = kindOfStatus(existing.status);
    if (fields.status) {
      const error = statusKindError(kind, fields.status);
      if (error) throw new AppError('UNPROCESSABLE', error);
    }
    if (fields.scheduled_for !== undefined || fields.scheduled_until !== undefined) {
      checkSchedule(
        kind,
        fields.scheduled_for ?? existing.scheduledFor?.toISOString(),
        fields.scheduled_until ?? existing.scheduledUntil?.toISOString(),
      );
    }
    const statuses = componentStatuses(fields);
    const body = fields.body ?? fields.message;
    const posts = fields.status !== undefined || body !== undefined || statuses.size > 0;
    const status = fields.status ?? existing.status;
    const changedStatus = status !== existing.status;
    await this.writeIncident(actor, {
      page,
      existing,
      columns: columnsOf(fields),
      update: posts
        ? {
            status,
            body: body ?? (changedStatus ? DEFAULT_BODIES[status] : undefined) ?? '',
            deliverNotifications: fields.deliver_notifications ?? true,
          }
        : null,
      componentStatuses: statuses,
      audit: {
        action: 'incident.update',
        before: { status: existing.status, name: existing.name },
        after: { ...(fields.name ? { name: fields.name } : {}), status },
      },
      now: new Date(),
    });
    return this.get(actor, page.id, existing.id);
  }

  /** Deletes the incident and its updates; components keep their current status. */
  async delete(actor: Actor, pageId: string, incidentId: string): Promise<IncidentDetail> {
    const page = await this.ownedPage(actor, pageId, 'incident.manage');
    const deleted = await this.detail(await this.findIncident(page.id, incidentId));
    await this.commit(
      page.id,
      [
        this.database.delete(incidents).where(eq(incidents.id, deleted.incident.id)),
        this.audit(actor, {
          orgId: page.orgId,
          action: 'incident.delete',
          resourceType: 'status_incident',
          resourceId: deleted.incident.id,
          before: { name: deleted.incident.name, status: deleted.incident.status },
        }),
      ],
      new Date(),
    );
    return deleted;
  }

  /** Edits a posted update: only body, display time and notification flag (spec §4.2). */
  async updateIncidentUpdate(
    actor: Actor,
    pageId: string,
    incidentId: string,
    incidentUpdateId: string,
    input: UpdateIncidentUpdateInput,
  ): Promise<IncidentDetail> {
    const { incident_update: fields } = UpdateIncidentUpdateBody.parse(input);
    const page = await this.ownedPage(actor, pageId, 'incident.manage');
    const incident = await this.findIncident(page.id, incidentId);
    const [current] = await this.getReadDb('fresh')
      .select()
      .from(incidentUpdates)
      .where(
        and(eq(incidentUpdates.id, incidentUpdateId), eq(incidentUpdates.incidentId, incident.id)),
      )
      .limit(1);
    if (!current) throw new AppError('NOT_FOUND', 'Incident update not found');
    const now = new Date();
    const changes = {
      ...(fields.body !== undefined ? { body: fields.body } : {}),
      ...(fields.display_at !== undefined ? { displayAt: new Date(fields.display_at) } : {}),
      ...(fields.deliver_notifications !== undefined
        ? { deliverNotifications: fields.deliver_notifications }
        : {}),
      updatedAt: now,
    };
    await this.commit(
      page.id,
      [
        this.database
          .update(incidentUpdates)
          .set(changes)
          .where(eq(incidentUpdates.id, current.id)),
        this.database
          .update(incidents)
          .set({ updatedAt: now })
          .where(eq(incidents.id, incident.id)),
        this.audit(actor, {
          orgId: page.orgId,
          action: 'incident_update.update',
          resourceType: 'status_incident_update',
          resourceId: current.id,
          before: { body: current.body, displayAt: current.displayAt },
          after: fields,
        }),
      ],
      now,
      [{ kind: 'incident', pageId: page.id, incidentId: incident.id }],
    );
    return this.get(actor, page.id, incident.id);
  }

  /**
   * Opens a realtime incident on one component, for callers without a page in hand: the
   * crash-rate auto-rollback, as the system actor (`systemActor(reason, orgId)`), whose org
   * must own the component. Audited as `incident.create` by that actor.
   */
  async openForComponent(
    actor: Actor,
    input: {
      componentId: string;
      name: string;
      body: string;
      status?: IncidentStatus;
      componentStatus?: ComponentStatus;
    },
  ): Promise<IncidentDetail> {
    const [component] = await this.getReadDb('fresh')
      .select({ pageId: components.pageId })
      .from(components)
      .where(eq(components.id, input.componentId))
      .limit(1);
    if (!component) throw new AppError('NOT_FOUND', 'Component not found');
    const page = await this.ownedPage(actor, component.pageId, 'incident.manage');
    if (actor.kind === 'system' && actor.orgId !== null && actor.orgId !== page.orgId) {
      throw new AppError('NOT_FOUND', 'Component not found');
    }
    return this.create(actor, page.id, {
      incident: {
        name: input.name.slice(0, 255),
        body: input.body.slice(0, 25_000),
        status: input.status ?? 'investigating',
        components: { [input.componentId]: input.componentStatus ?? 'partial_outage' },
      },
    });
  }

  protected async detail(incident: Incident): Promise<IncidentDetail> {
    const [detail] = await loadIncidentDetails(this.getReadDb('fresh'), [incident]);
    if (!detail) throw new AppError('NOT_FOUND', 'Incident not found');
    return detail;
  }

  protected async findIncident(pageId: string, incidentId: string): Promise<Incident> {
    const [row] = await this.getReadDb('fresh')
      .select()
      .from(incidents)
      .where(and(eq(incidents.id, incidentId), eq(incidents.pageId, pageId)))
      .limit(1);
    if (!row) throw new AppError('NOT_FOUND', 'Incident not found');
    return row;
  }
}

/** §3.1: a window belongs to maintenances only, and must end after it starts. */
function checkSchedule(
  kind: 'realtime' | 'scheduled',
  scheduledFor: string | undefined,
  scheduledUntil: string | undefined,
) {
  if (kind === 'realtime') {
    if (scheduledFor !== undefined || scheduledUntil !== undefined) {
      throw new AppError(
        'UNPROCESSABLE',
        'scheduled_for and scheduled_until belong to scheduled maintenances; use status scheduled',
      );
    }
    return;
  }
  if (scheduledFor === undefined || scheduledUntil === undefined) {
    throw new AppError(
      'BAD_REQUEST',
      'A scheduled maintenance needs scheduled_for and scheduled_until',
    );
  }
  if (Date.parse(scheduledUntil) <= Date.parse(scheduledFor)) {
    throw new AppError('BAD_REQUEST', 'scheduled_until must be after scheduled_for');
  }
}

/** `components` (with statuses) ∪ `component_ids` (recorded unchanged), spec §3.2. */
function componentStatuses(fields: Partial<IncidentFields>): Map<string, ComponentStatus | null> {
  const map = new Map<string, ComponentStatus | null>();
  for (const id of fields.component_ids ?? []) map.set(id, null);
  for (const [id, status] of Object.entries(fields.components ?? {})) map.set(id, status);
  return map;
}

function columnsOf(fields: Partial<IncidentFields>): Partial<NewIncident> {
  const c: Partial<NewIncident> = {};
  if (fields.name !== undefined) c.name = fields.name;
  if (fields.impact_override !== undefined) c.impactOverride = fields.impact_override;
  if (fields.metadata !== undefined) c.metadata = fields.metadata;
  if (fields.scheduled_for !== undefined) c.scheduledFor = new Date(fields.scheduled_for);
  if (fields.scheduled_until !== undefined) c.scheduledUntil = new Date(fields.scheduled_until);
  const autoInProgress = fields.scheduled_auto_in_progress ?? fields.scheduled_auto_transition;
  if (fields.scheduled_remind_prior !== undefined)
    c.scheduledRemindPrior = fields.scheduled_remind_prior;
  if (autoInProgress !== undefined) c.scheduledAutoInProgress = autoInProgress;
  if (fields.scheduled_auto_completed !== undefined)
    c.scheduledAutoCompleted = fields.scheduled_auto_completed;
  if (fields.auto_transition_to_maintenance_state !== undefined)
    c.autoTransitionToMaintenanceState = fields.auto_transition_to_maintenance_state;
  if (fields.auto_transition_to_operational_state !== undefined)
    c.autoTransitionToOperationalState = fields.auto_transition_to_operational_state;
  if (fields.auto_transition_deliver_notifications_at_start !== undefined)
    c.autoTransitionDeliverNotificationsAtStart =
      fields.auto_transition_deliver_notifications_at_start;
  if (fields.auto_transition_deliver_notifications_at_end !== undefined)
    c.autoTransitionDeliverNotificationsAtEnd = fields.auto_transition_deliver_notifications_at_end;
  return c;
}

function mustHave(id: string | null): string {
  if (!id) throw new AppError('INTERNAL', 'Incident not written');
  return id;
}
