import {
  CreateComponentGroupBody,
  type CreateComponentGroupBody as CreateGroupInput,
  UpdateComponentGroupBody,
  type UpdateComponentGroupBody as UpdateGroupInput,
} from '@skypatch/protocol';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { type ComponentGroup, componentGroups, components } from '../db/schema';
import { AppError } from '../lib/errors';
import { newPublicId } from '../lib/ids';
import type { Actor } from './actor';
import { type Statement, StatusService } from './status-base';
import {
  groupChildrenStatements,
  moveStatements,
  nextTopLevelPosition,
  ungroupStatement,
} from './status-positions';

export interface GroupWithChildren {
  group: ComponentGroup;
  /** Child component ids in position order. */
  componentIds: string[];
}

/**
 * Component groups (spec §4.2 `component-groups`). A group's `components` list is its whole
 * membership: components left out of an update become top-level again.
 */
export class StatusComponentGroupService extends StatusService {
  async list(actor: Actor, pageId: string): Promise<GroupWithChildren[]> {
    const page = await this.ownedPage(actor, pageId, 'org.read');
    const groups = await this.getReadDb('fresh')
      .select()
      .from(componentGroups)
      .where(eq(componentGroups.pageId, page.id))
      .orderBy(asc(componentGroups.position), asc(componentGroups.createdAt));
    return this.withChildren(groups);
  }

  async get(actor: Actor, pageId: string, groupId: string): Promise<GroupWithChildren> {
    const page = await this.ownedPage(actor, pageId, 'org.read');
    const [one] = await this.withChildren([await this.findGroup(page.id, groupId)]);
    if (!one) throw groupNotFound();
    return one;
  }

  async create(actor: Actor, pageId: string, input: CreateGroupInput): Promise<GroupWithChildren> {
    const body = CreateComponentGroupBody.parse(input);
    const fields = body.component_group;
    const page = await this.ownedPage(actor, pageId, 'statuspage.manage');
    await this.pageComponents(page.id, fields.components);
    const now = new Date();
    const id = newPublicId();
    const childIds = [...new Set(fields.components)];
    await this.commit(
      page.id,
      [
        this.database.insert(componentGroups).values({
          id,
          pageId: page.id,
          name: fields.name,
          description: fields.description ?? body.description ?? null,
          position: fields.position ?? nextTopLevelPosition(page.id),
          createdAt: now,
          updatedAt: now,
        }),
        ...groupChildrenStatements(this.database, id, childIds),
        this.audit(actor, {
          orgId: page.orgId,
          action: 'status_group.create',
          resourceType: 'status_component_group',
          resourceId: id,
          after: { name: fields.name, components: childIds },
        }),
      ],
      now,
    );
    return this.get(actor, page.id, id);
  }

  async update(
    actor: Actor,
    pageId: string,
    groupId: string,
    input: UpdateGroupInput,
  ): Promise<GroupWithChildren> {
    const body = UpdateComponentGroupBody.parse(input);
    const fields = body.component_group;
    const page = await this.ownedPage(actor, pageId, 'statuspage.manage');
    const group = await this.findGroup(page.id, groupId);
    const childIds = fields.components ? [...new Set(fields.components)] : null;
    if (childIds) await this.pageComponents(page.id, childIds);
    const description = fields.description !== undefined ? fields.description : body.description;
    const changes = {
      ...(fields.name !== undefined ? { name: fields.name } : {}),
      ...(description !== undefined ? { description } : {}),
      updatedAt: new Date(),
    };
    const statements: Statement[] = [
      this.database.update(componentGroups).set(changes).where(eq(componentGroups.id, group.id)),
    ];
    if (childIds) {
      statements.push(
        ungroupStatement(this.database, group.id, childIds),
        ...groupChildrenStatements(this.database, group.id, childIds),
      );
    }
    if (fields.position !== undefined) {
      statements.push(...(await this.reorder(page.id, group.id, fields.position)));
    }
    statements.push(
      this.audit(actor, {
        orgId: page.orgId,
        action: 'status_group.update',
        resourceType: 'status_component_group',
        resourceId: group.id,
        before: { name: group.name, description: group.description, position: group.position },
        after: { ...fields, ...(description !== undefined ? { description } : {}) },
      }),
    );
    await this.commit(page.id, statements, changes.updatedAt);
    return this.get(actor, page.id, group.id);
  }

  /** Deletes the group; its components stay, top-level (ON DELETE SET NULL). */
  async delete(actor: Actor, pageId: string, groupId: string): Promise<GroupWithChildren> {
    const page = await this.ownedPage(actor, pageId, 'statuspage.manage');
    const [deleted] = await this.withChildren([await this.findGroup(page.id, groupId)]);
    if (!deleted) throw groupNotFound();
    await this.commit(
      page.id,
      [
        this.database.delete(componentGroups).where(eq(componentGroups.id, deleted.group.id)),
        this.audit(actor, {
          orgId: page.orgId,
          action: 'status_group.delete',
          resourceType: 'status_component_group',
          resourceId: deleted.group.id,
          before: { name: deleted.group.name, components: deleted.componentIds },
        }),
      ],
      new Date(),
    );
    return deleted;
  }

  /** Groups share top-level positions with each other (ungrouped components follow them). */
  private async reorder(pageId: string, groupId: string, position: number) {
    const groups = await this.getReadDb('fresh')
      .select({ id: componentGroups.id, position: componentGroups.position })
      .from(componentGroups)
      .where(eq(componentGroups.pageId, pageId))
      .orderBy(asc(componentGroups.position), asc(componentGroups.createdAt));
    return moveStatements(this.database, componentGroups, groups, groupId, position);
  }

  private async findGroup(pageId: string, groupId: string): Promise<ComponentGroup> {
    const [row] = await this.getReadDb('fresh')
      .select()
      .from(componentGroups)
      .where(and(eq(componentGroups.id, groupId), eq(componentGroups.pageId, pageId)))
      .limit(1);
    if (!row) throw groupNotFound();
    return row;
  }

  private async withChildren(groups: ComponentGroup[]): Promise<GroupWithChildren[]> {
    if (groups.length === 0) return [];
    const children = await this.getReadDb('fresh')
      .select({ id: components.id, groupId: components.groupId })
      .from(components)
      .where(
        inArray(
          components.groupId,
          groups.map((group) => group.id),
        ),
      )
      .orderBy(asc(components.position), asc(components.createdAt), asc(components.id));
    return groups.map((group) => ({
      group,
      componentIds: children.filter((child) => child.groupId === group.id).map((child) => child.id),
    }));
  }
}

const groupNotFound = () => new AppError('NOT_FOUND', 'Component group not found');
