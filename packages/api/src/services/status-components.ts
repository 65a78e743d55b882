import {
  ComponentListQuery,
  CreateComponentBody,
  type CreateComponentBody as CreateComponentInput,
  UpdateComponentBody,
  type UpdateComponentBody as UpdateComponentInput,
} from '@skypatch/protocol';
import { and, asc, eq, isNull, type SQL, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { zonedDate } from '../core/zoned-time';
import { type Component, componentGroups, components, type Page } from '../db/schema';
import { AppError } from '../lib/errors';
import { newPublicId } from '../lib/ids';
import type { Actor } from './actor';
import { firstRow, type Statement, StatusService } from './status-base';
import { moveStatements, nextTopLevelPosition } from './status-positions';

type ComponentFields = z.output<typeof UpdateComponentBody>['component'];

/** Leaf components of a status page (spec §4.2); groups are in status-component-groups.ts. */
export class StatusComponentService extends StatusService {
  async list(
    actor: Actor,
    pageId: string,
    query: z.input<typeof ComponentListQuery> = {},
  ): Promise<Component[]> {
    const { page: pageNumber, per_page: perPage } = ComponentListQuery.parse(query);
    const page = await this.ownedPage(actor, pageId, 'org.read');
    // Statuspage pages components with page/per_page (OAS): offsets, unlike our cursor lists.
    return this.getReadDb('fresh')
      .select()
      .from(components)
      .where(eq(components.pageId, page.id))
      .orderBy(asc(components.position), asc(components.createdAt), asc(components.id))
      .limit(perPage)
      .offset((pageNumber - 1) * perPage);
  }

  async get(actor: Actor, pageId: string, componentId: string): Promise<Component> {
    const page = await this.ownedPage(actor, pageId, 'org.read');
    return this.findComponent(page.id, componentId);
  }

  async create(actor: Actor, pageId: string, input: CreateComponentInput): Promise<Component> {
    const { component: fields } = CreateComponentBody.parse(input);
    const page = await this.ownedPage(actor, pageId, 'statuspage.manage');
    const groupId = fields.group_id ?? null;
    if (groupId) await this.findGroup(page.id, groupId);
    const now = new Date();
    const id = newPublicId();
    const status = fields.status ?? 'operational';
    const row = {
      ...columnsOf(fields),
      id,
      pageId: page.id,
      groupId,
      name: fields.name,
      status,
      // Statuspage gives new components their creation day (HCP): uptime starts there.
      startDate:
        fields.start_date === undefined
          ? zonedDate(now, page.timezone ?? 'UTC')
          : fields.start_date,
      position: fields.position ?? siblingsNextPosition(page.id, groupId),
      createdAt: now,
      updatedAt: now,
    };
    const [inserted] = await this.commit(
      page.id,
      [
        this.database.insert(components).values(row).returning(),
        this.openStatusLog({ id, pageId: page.id }, status, now),
        this.audit(actor, {
          orgId: page.orgId,
          action: 'status_component.create',
          resourceType: 'status_component',
          resourceId: id,
          after: { name: fields.name, status, groupId },
        }),
      ],
      now,
    );
    const created = firstRow<Component>(inserted);
    if (!created) throw new AppError('INTERNAL', 'Component not created');
    return created;
  }

  /**
   * Edits a component. A status change outside an incident still logs for uptime and fires a
   * component event (spec §3.2 "Manual status edits"); a position moves it among its siblings.
   */
  async update(
    actor: Actor,
    pageId: string,
    componentId: string,
    input: UpdateComponentInput,
  ): Promise<Component> {
    const { component: fields } = UpdateComponentBody.parse(input);
    const page = await this.ownedPage(actor, pageId, 'statuspage.manage');
    const component = await this.findComponent(page.id, componentId);
    const groupId = fields.group_id === undefined ? component.groupId : fields.group_id;
    if (groupId && groupId !== component.groupId) await this.findGroup(page.id, groupId);
    const now = new Date();
    const { position, ...changes } = {
      ...columnsOf(fields),
      groupId,
      updatedAt: now,
    };
    const statements: Statement[] = [
      this.database.update(components).set(changes).where(eq(components.id, component.id)),
    ];
    const moved = position !== undefined || groupId !== component.groupId;
    if (moved) {
      statements.push(
        ...(await this.reorder(page, component.id, groupId, position ?? Number.MAX_SAFE_INTEGER)),
      );
    }
    const change = fields.status
      ? this.changeComponentStatus(component, component.status ?? 'operational', fields.status, now)
      : null;
    if (change) statements.push(...change.statements);
    statements.push(
      this.audit(actor, {
        orgId: page.orgId,
        action: 'status_component.update',
        resourceType: 'status_component',
        resourceId: component.id,
        before: pick(component, fields),
        after: fields,
      }),
    );
    await this.commit(page.id, statements, now, change ? [change] : []);
    return this.findComponent(page.id, component.id);
  }

  async delete(actor: Actor, pageId: string, componentId: string): Promise<Component> {
    const page = await this.ownedPage(actor, pageId, 'statuspage.manage');
    const component = await this.findComponent(page.id, componentId);
    // Its incident_components and status log go with it (ON DELETE CASCADE).
    await this.commit(
      page.id,
      [
        this.database.delete(components).where(eq(components.id, component.id)),
        this.audit(actor, {
          orgId: page.orgId,
          action: 'status_component.delete',
          resourceType: 'status_component',
          resourceId: component.id,
          before: { name: component.name, status: component.status, groupId: component.groupId },
        }),
      ],
      new Date(),
    );
    return component;
  }

  /** Positions 1..n for `componentId`'s new siblings, with it at `position`. */
  private async reorder(page: Page, componentId: string, groupId: string | null, position: number) {
    const siblings = await this.getReadDb('fresh')
      .select({ id: components.id, position: components.position })
      .from(components)
      .where(
        and(
          eq(components.pageId, page.id),
          groupId ? eq(components.groupId, groupId) : isNull(components.groupId),
        ),
      )
      .orderBy(asc(components.position), asc(components.createdAt), asc(components.id));
    return moveStatements(this.database, components, siblings, componentId, position);
  }

  private async findComponent(pageId: string, componentId: string): Promise<Component> {
    const [row] = await this.getReadDb('fresh')
      .select()
      .from(components)
      .where(and(eq(components.id, componentId), eq(components.pageId, pageId)))
      .limit(1);
    if (!row) throw new AppError('NOT_FOUND', 'Component not found');
    return row;
  }

  private async findGroup(pageId: string, groupId: string) {
    const [row] = await this.getReadDb('fresh')
      .select({ id: componentGroups.id })
      .from(componentGroups)
      .where(and(eq(componentGroups.id, groupId), eq(componentGroups.pageId, pageId)))
      .limit(1);
    if (!row) throw new AppError('BAD_REQUEST', 'Unknown component group for this page');
    return row;
  }
}

/** The next position among a component's siblings, computed inside the INSERT itself. */
function siblingsNextPosition(pageId: string, groupId: string | null): SQL<number> {
  if (!groupId) return nextTopLevelPosition(pageId);
  return sql<number>`(SELECT coalesce(max(${components.position}), 0) + 1 FROM ${components}
    WHERE ${components.pageId} = ${pageId} AND ${components.groupId} = ${groupId})`;
}

function columnsOf(fields: ComponentFields) {
  const columns: Partial<typeof components.$inferInsert> = {};
  if (fields.name !== undefined) columns.name = fields.name;
  if (fields.description !== undefined) columns.description = fields.description;
  if (fields.showcase !== undefined) columns.showcase = fields.showcase;
  if (fields.only_show_if_degraded !== undefined)
    columns.onlyShowIfDegraded = fields.only_show_if_degraded;
  if (fields.start_date !== undefined) columns.startDate = fields.start_date;
  if (fields.position !== undefined) columns.position = fields.position;
  return columns;
}

/** The component's values of the fields a PATCH names, for the audit row's `before`. */
function pick(component: Component, fields: ComponentFields): Record<string, unknown> {
  const byWireName: Record<string, unknown> = {
    name: component.name,
    description: component.description,
    status: component.status,
    group_id: component.groupId,
    showcase: component.showcase,
    only_show_if_degraded: component.onlyShowIfDegraded,
    start_date: component.startDate,
    position: component.position,
  };
  return Object.fromEntries(Object.keys(fields).map((key) => [key, byWireName[key]]));
}
