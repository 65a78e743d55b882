import { and, eq, inArray, isNull, ne, notExists, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import {
  type Component,
  type ComponentStatus,
  componentStatusLog,
  components,
  type Page,
  pages,
} from '../db/schema';
import { AppError } from '../lib/errors';
import { newPublicId } from '../lib/ids';
import { publishStatusEvents, type StatusEvent } from '../status-pages/events';
import type { Actor } from './actor';
import { BaseService } from './base';
import type { Permission } from './permissions';
import { refreshPage } from './status-indicator';

export type Statement = BatchItem<'sqlite'>;

/**
 * A status change the batch will make, and its event. Its first statement is the component's
 * conditional UPDATE … RETURNING and its second closes the open log stretch RETURNING its
 * status: `commit` publishes the event only if the UPDATE changed a row (a concurrent writer
 * may have got there first), with `old_status` from the closed stretch.
 */
export interface PlannedChange {
  statements: Statement[];
  event: Extract<StatusEvent, { kind: 'component' }>;
}

/** What a mutation hands `commit` to publish: events, or changes whose event depends on the batch. */
export type CommitEvent = StatusEvent | PlannedChange;

/**
 * What every status-page service shares: the page lookup that doubles as the ownership check,
 * the component status change with its uptime log, and the commit that ends every mutation
 * (batch with the page refresh, then the events).
 */
export abstract class StatusService extends BaseService {
  /**
   * The page, if `actor` holds `permission` in its org. An unknown id and another org's page
   * both answer 404 "Page not found": a foreign id must not confirm that it exists.
   */
  async ownedPage(actor: Actor, pageId: string, permission: Permission): Promise<Page> {
    const [page] = await this.getReadDb('fresh')
      .select()
      .from(pages)
      .where(eq(pages.id, pageId))
      .limit(1);
    if (!page) throw pageNotFound();
    try {
      await this.authorize(actor, page.orgId, permission);
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') throw pageNotFound();
      throw error;
    }
    return page;
  }

  /** The page's components with these ids; any id not on the page is a 400 before any write. */
  protected async pageComponents(pageId: string, ids: readonly string[]): Promise<Component[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const rows = await this.getReadDb('fresh')
      .select()
      .from(components)
      .where(and(eq(components.pageId, pageId), inArray(components.id, unique)));
    const found = new Set(rows.map((row) => row.id));
    const unknown = unique.filter((id) => !found.has(id));
    if (unknown.length > 0) {
      throw new AppError('BAD_REQUEST', 'Unknown component ids for this page', { unknown });
    }
    return rows;
  }

  /**
   * A component's move to `status`: the row, then its uptime log (close the open stretch, open
   * a new one). Every statement is conditional on the status really changing, so a repeated
   * or concurrent change writes nothing twice. Returns nothing when `from` already is `status`.
   */
  protected changeComponentStatus(
    component: Pick<Component, 'id' | 'pageId'>,
    from: ComponentStatus,
    status: ComponentStatus,
    at: Date,
  ): PlannedChange | null {
    if (from === status) return null;
    const changeId = newPublicId();
    const db = this.database;
    return {
      statements: [
        db
          .update(components)
          .set({ status, updatedAt: at })
          .where(and(eq(components.id, component.id), ne(components.status, status)))
          .returning({ id: components.id }),
        db
          .update(componentStatusLog)
          .set({ endedAt: at })
          .where(
            and(
              eq(componentStatusLog.componentId, component.id),
              isNull(componentStatusLog.endedAt),
              ne(componentStatusLog.status, status),
            ),
          )
          .returning({ status: componentStatusLog.status }),
        // Opens the new stretch unless one is still open (a concurrent change of the same
        // component closed and reopened it already): one row per stretch, whoever wins.
        db.insert(componentStatusLog).select(
          db
            .select({
              id: sql<string>`${changeId}`.as('id'),
              pageId: components.pageId,
              componentId: components.id,
              status: sql<ComponentStatus>`${status}`.as('status'),
              startedAt: sql<Date>`${at.getTime()}`.as('started_at'),
              endedAt: sql<Date | null>`NULL`.as('ended_at'),
            })
            .from(components)
            .where(
              and(
                eq(components.id, component.id),
                notExists(
                  db
                    .select({ one: sql`1` })
                    .from(componentStatusLog)
                    .where(
                      and(
                        eq(componentStatusLog.componentId, component.id),
                        isNull(componentStatusLog.endedAt),
                      ),
                    ),
                ),
              ),
            ),
        ),
      ],
      event: {
        kind: 'component',
        pageId: component.pageId,
        componentId: component.id,
        oldStatus: from,
        newStatus: status,
        at,
        changeId,
      },
    };
  }

  /** The first stretch of a new component's log. */
  protected openStatusLog(
    component: Pick<Component, 'id' | 'pageId'>,
    status: ComponentStatus,
    at: Date,
  ) {
    return this.database.insert(componentStatusLog).values({
      id: newPublicId(),
      pageId: component.pageId,
      componentId: component.id,
      status,
      startedAt: at,
    });
  }

  /**
   * Runs one mutation: its statements, then the page refresh (indicator and `updated_at`), in
   * one D1 batch; then hands the events to the webhook pipeline. Returns the batch results in
   * the order of `statements`.
   */
  protected async commit(
    pageId: string,
    statements: Statement[],
    now: Date,
    events: CommitEvent[] = [],
  ): Promise<unknown[]> {
    const [head, ...tail]: Statement[] = [...statements, refreshPage(this.database, pageId, now)];
    if (!head) throw new AppError('INTERNAL', 'Empty batch'); // never: the refresh is there
    const results = await this.database.batch([head, ...tail]);
    const resultOf = (statement: Statement | undefined) =>
      statement ? results[statements.indexOf(statement)] : undefined;
    const published = events.flatMap((item) =>
      'statements' in item ? changedEvent(item, resultOf) : [item],
    );
    if (published.length > 0) await publishStatusEvents(this.env, published);
    return results.slice(0, statements.length);
  }
}

/** A planned change's event if its UPDATE changed the row, else nothing (see PlannedChange). */
function changedEvent(
  change: PlannedChange,
  resultOf: (statement: Statement | undefined) => unknown,
): StatusEvent[] {
  const [update, closeLog] = change.statements;
  if (!firstRow(resultOf(update))) return [];
  const closed = firstRow<{ status: ComponentStatus }>(resultOf(closeLog));
  return [{ ...change.event, oldStatus: closed?.status ?? change.event.oldStatus }];
}

export const pageNotFound = () => new AppError('NOT_FOUND', 'Page not found');

/** The first row a batch statement returned, typed by the caller who wrote the statement. */
export function firstRow<T>(result: unknown): T | undefined {
  return Array.isArray(result) ? (result[0] as T | undefined) : undefined;
}
