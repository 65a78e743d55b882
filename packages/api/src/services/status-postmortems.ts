import { PublishPostmortemBody, SavePostmortemBody } from '@skypatch/protocol';
import { and, eq, exists, inArray, isNotNull, isNull, type SQL, sql } from 'drizzle-orm';
import type { SQLiteUpdateSetSource } from 'drizzle-orm/sqlite-core';
import { type Incident, type IncidentStatus, incidents, type Page } from '../db/schema';
import { AppError } from '../lib/errors';
import type { Actor } from './actor';
import { isGuardFailure } from './base';
import type { CommitEvent } from './status-base';
import { StatusIncidentService } from './status-incidents';

// Postmortems (spec §3.1 "optional postmortem", §4.2). The schema has one text column, so the
// draft and the published text are the same value: `postmortem_published_at` says whether it
// is public. Publishing freezes it; an edit after publishing is refused (409) until the
// postmortem is reverted, so the public page never shows a half-edited text.

/** Statuses a postmortem may be published on: the incident (or maintenance) is over. */
const ENDED_STATUSES = ['resolved', 'postmortem', 'completed'] as const satisfies IncidentStatus[];

type AuditAction =
  | 'postmortem.draft'
  | 'postmortem.publish'
  | 'postmortem.revert'
  | 'postmortem.delete';

/**
 * Extends the incident service for its incident lookup (page-scoped, 404 for a foreign id);
 * every method here checks the state it needs, then writes with that check as the batch's
 * guard, so a concurrent publish or revert cannot slip between the read and the write.
 */
export class StatusPostmortemService extends StatusIncidentService {
  /** The incident row, whose postmortem columns the route renders. */
  async getPostmortem(actor: Actor, pageId: string, incidentId: string): Promise<Incident> {
    const page = await this.ownedPage(actor, pageId, 'org.read');
    return this.findIncident(page.id, incidentId);
  }

  /** `PUT …/postmortem`: saves the draft; refused once published. */
  async saveDraft(
    actor: Actor,
    pageId: string,
    incidentId: string,
    input: SavePostmortemBody,
  ): Promise<Incident> {
    const { postmortem } = SavePostmortemBody.parse(input);
    const { page, incident } = await this.managedIncident(actor, pageId, incidentId);
    if (incident.postmortemPublishedAt) throw publishedConflict('edited');
    const now = new Date();
    await this.write(actor, page, incident, {
      action: 'postmortem.draft',
      guard: isNull(incidents.postmortemPublishedAt),
      set: { postmortemBody: postmortem.body_draft, updatedAt: now },
      before: { draftChars: incident.postmortemBody?.length ?? 0 },
      after: { draftChars: postmortem.body_draft.length },
      now,
    });
    return this.findIncident(page.id, incident.id);
  }

  /**
   * `PUT …/postmortem/publish`: makes the draft public and moves a resolved incident to
   * `postmortem` (as Statuspage does). `notify_subscribers` sends an incident webhook event.
   */
  async publish(
    actor: Actor,
    pageId: string,
    incidentId: string,
    input: PublishPostmortemBody = {},
  ): Promise<Incident> {
    const { postmortem: options } = PublishPostmortemBody.parse(input);
    const { page, incident } = await this.managedIncident(actor, pageId, incidentId);
    if (incident.postmortemPublishedAt) throw new AppError('CONFLICT', 'Already published');
    if (!incident.postmortemBody) {
      throw new AppError('CONFLICT', 'There is no postmortem draft to publish; PUT one first');
    }
    if (!(ENDED_STATUSES as readonly IncidentStatus[]).includes(incident.status)) {
      throw new AppError('CONFLICT', 'Resolve the incident before publishing its postmortem');
    }
    const now = new Date();
    const nextStatus: IncidentStatus =
      incident.status === 'resolved' ? 'postmortem' : incident.status;
    await this.write(actor, page, incident, {
      action: 'postmortem.publish',
      guard: and(
        isNull(incidents.postmortemPublishedAt),
        isNotNull(incidents.postmortemBody),
        inArray(incidents.status, [...ENDED_STATUSES]),
      ),
      // In SQL, from the row as the batch finds it: the guard already holds the rest.
      set: {
        postmortemPublishedAt: now,
        status: movedStatus('resolved', 'postmortem'),
        updatedAt: now,
      },
      before: { status: incident.status, publishedAt: null },
      after: {
        status: nextStatus,
        publishedAt: now.toISOString(),
        notify: !!options?.notify_subscribers,
      },
      now,
      // No update is posted, so the event carries the incident as it is now (status
      // `postmortem`, `postmortem_body` included now that it is public).
      events: options?.notify_subscribers
        ? [{ kind: 'incident', pageId: page.id, incidentId: incident.id }]
        : [],
    });
    return this.findIncident(page.id, incident.id);
  }

  /** `PUT …/postmortem/revert`: back to a draft; a `postmortem` incident is `resolved` again. */
  async revert(actor: Actor, pageId: string, incidentId: string): Promise<Incident> {
    const { page, incident } = await this.managedIncident(actor, pageId, incidentId);
    if (!incident.postmortemPublishedAt) {
      throw new AppError('CONFLICT', 'The postmortem is not published');
    }
    const now = new Date();
    await this.write(actor, page, incident, {
      action: 'postmortem.revert',
      guard: isNotNull(incidents.postmortemPublishedAt),
      set: {
        postmortemPublishedAt: null,
        status: movedStatus('postmortem', 'resolved'),
        updatedAt: now,
      },
      before: {
        status: incident.status,
        publishedAt: incident.postmortemPublishedAt.toISOString(),
      },
      after: {
        status: incident.status === 'postmortem' ? 'resolved' : incident.status,
        publishedAt: null,
      },
      now,
    });
    return this.findIncident(page.id, incident.id);
  }

  /**
   * `DELETE …/postmortem`: discards the draft. A published postmortem is refused (409: revert
   * it first); with no draft there is nothing to change, so nothing is written.
   */
  async deleteDraft(actor: Actor, pageId: string, incidentId: string): Promise<Incident> {
    const { page, incident } = await this.managedIncident(actor, pageId, incidentId);
    if (incident.postmortemPublishedAt) throw publishedConflict('deleted');
    if (incident.postmortemBody === null) return incident;
    const now = new Date();
    await this.write(actor, page, incident, {
      action: 'postmortem.delete',
      guard: isNull(incidents.postmortemPublishedAt),
      set: { postmortemBody: null, updatedAt: now },
      before: { draftChars: incident.postmortemBody.length },
      now,
    });
    return this.findIncident(page.id, incident.id);
  }

  private async managedIncident(actor: Actor, pageId: string, incidentId: string) {
    const page = await this.ownedPage(actor, pageId, 'incident.manage');
    return { page, incident: await this.findIncident(page.id, incidentId) };
  }

  /**
   * One postmortem change: the guarded audit row first (the batch rolls back if `guard` no
   * longer holds for the incident), the incident row, then the page refresh in `commit`.
   */
  private async write(
    actor: Actor,
    page: Page,
    incident: Incident,
    change: {
      action: AuditAction;
      guard: SQL | undefined;
      set: SQLiteUpdateSetSource<typeof incidents>;
      before?: Record<string, unknown>;
      after?: Record<string, unknown>;
      now: Date;
      events?: CommitEvent[];
    },
  ): Promise<void> {
    const db = this.database;
    const stillAsRead = exists(
      db
        .select({ one: sql`1` })
        .from(incidents)
        .where(and(eq(incidents.id, incident.id), change.guard)),
    );
    try {
      await this.commit(
        page.id,
        [
          this.audit(
            actor,
            {
              orgId: page.orgId,
              action: change.action,
              resourceType: 'status_incident',
              resourceId: incident.id,
              before: change.before,
              after: change.after,
            },
            stillAsRead,
          ),
          db.update(incidents).set(change.set).where(eq(incidents.id, incident.id)),
        ],
        change.now,
        change.events,
      );
    } catch (error) {
      if (isGuardFailure(error)) {
        throw new AppError('CONFLICT', 'The postmortem changed meanwhile; read it and retry');
      }
      throw error;
    }
  }
}

/** `from` → `to`, any other status kept: decided in SQL against the row the batch sees. */
function movedStatus(from: IncidentStatus, to: IncidentStatus) {
  return sql<IncidentStatus>`CASE WHEN ${incidents.status} = ${from} THEN ${to} ELSE ${incidents.status} END`;
}

function publishedConflict(verb: 'edited' | 'deleted') {
  return new AppError(
    'CONFLICT',
    `A published postmortem cannot be ${verb}; revert it first (PUT …/postmortem/revert)`,
  );
}
