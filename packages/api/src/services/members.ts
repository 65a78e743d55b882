import { ChangeRoleBody } from '@skypatch/protocol';
import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { apiKeys, invitations, memberships, ROLES, type Role, users } from '../db/schema';
import { AppError } from '../lib/errors';
import { PageInput, toPage } from '../lib/pagination';
import type { Actor } from './actor';
import { BaseService, isGuardFailure } from './base';
import { anotherOwnerExists } from './orgs';
import { roleAtLeast } from './permissions';
import { requireUser } from './sessions';

const OrgId = z.string().min(1).max(64);
const MemberInput = z.object({ orgId: OrgId, userId: z.string().min(1).max(64) });
const ChangeRoleInput = MemberInput.extend(ChangeRoleBody.shape);
const ListInput = PageInput.extend({ orgId: OrgId });

export interface Member {
  id: string;
  userId: string;
  email: string;
  displayName: string;
  role: (typeof ROLES)[number];
  createdAt: Date;
}

const MEMBER_COLUMNS = {
  id: memberships.id,
  userId: memberships.userId,
  email: users.email,
  displayName: users.displayName,
  role: memberships.role,
  createdAt: memberships.createdAt,
};

/** The roles that rank above `role` (the empty list for owner). */
function rolesAbove(role: Role): Role[] {
  return ROLES.filter((other) => roleAtLeast(other, role) && other !== role);
}

const sole = () => new AppError('CONFLICT', 'An organization needs at least one owner');

export class MemberService extends BaseService {
  async list(actor: Actor, input: z.input<typeof ListInput>) {
    const { orgId, cursor, limit } = ListInput.parse(input);
    await this.authorize(actor, orgId, 'member.read');
    const rows: Member[] = await this.getReadDb('fresh')
      .select(MEMBER_COLUMNS)
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(
        and(
          eq(memberships.orgId, orgId),
          isNull(users.deletedAt),
          this.afterCursor(memberships.createdAt, memberships.id, cursor),
        ),
      )
      .orderBy(desc(memberships.createdAt), desc(memberships.id))
      .limit(limit + 1);
    return toPage(rows, limit, (row) => row.createdAt);
  }

  /**
   * Admins manage developers and viewers; only an owner touches the owner role, and the last
   * owner cannot step down (the check sits in the UPDATE, so two demotions cannot race past it).
   */
  async changeRole(actor: Actor, input: z.input<typeof ChangeRoleInput>): Promise<Member> {
    const { orgId, userId, role } = ChangeRoleInput.parse(input);
    const access = await this.authorize(actor, orgId, 'member.manage');
    const member = await this.findMember(orgId, userId);
    if ((member.role === 'owner' || role === 'owner') && access.role !== 'owner') {
      throw new AppError('FORBIDDEN', 'Only an owner can grant or remove the owner role');
    }
    if (member.role === role) return member;
    const stepsDown = member.role === 'owner';
    await this.guarded([
      this.audit(
        actor,
        {
          orgId,
          action: 'member.role_change',
          resourceType: 'membership',
          resourceId: member.id,
          before: { userId, role: member.role },
          after: { userId, role },
        },
        stepsDown ? anotherOwnerExists(orgId, userId) : undefined,
      ),
      this.database.update(memberships).set({ role }).where(eq(memberships.id, member.id)),
      // A key never outranks its creator, nor an invitation its inviter: cap both on demotion.
      this.database
        .update(apiKeys)
        .set({ role })
        .where(
          and(
            eq(apiKeys.orgId, orgId),
            eq(apiKeys.createdByUserId, userId),
            inArray(apiKeys.role, rolesAbove(role)),
          ),
        ),
      this.database
        .update(invitations)
        .set({ revokedAt: new Date() })
        .where(
          and(
            eq(invitations.orgId, orgId),
            eq(invitations.invitedByUserId, userId),
            isNull(invitations.acceptedAt),
            isNull(invitations.revokedAt),
            inArray(invitations.role, rolesAbove(role)),
          ),
        ),
    ]);
    return { ...member, role };
  }

  async remove(actor: Actor, input: z.input<typeof MemberInput>): Promise<void> {
    const { orgId, userId } = MemberInput.parse(input);
    const access = await this.authorize(actor, orgId, 'member.manage');
    const member = await this.findMember(orgId, userId);
    if (member.role === 'owner' && access.role !== 'owner') {
      throw new AppError('FORBIDDEN', 'Only an owner can remove an owner');
    }
    await this.removeMembership(actor, orgId, member, 'member.remove');
  }

  /** The caller leaves the org; its last owner cannot. */
  async leave(actor: Actor, input: { orgId: string }): Promise<void> {
    const { orgId } = MemberInput.pick({ orgId: true }).parse(input);
    const { userId } = requireUser(actor);
    await this.authorize(actor, orgId, 'org.read');
    const member = await this.findMember(orgId, userId);
    await this.removeMembership(actor, orgId, member, 'member.leave');
  }

  /**
   * Deletes the membership and revokes the keys the person created in this org: they have seen
   * those secrets, and leaving must end their access, not only their membership.
   */
  private async removeMembership(actor: Actor, orgId: string, member: Member, action: string) {
    await this.guarded([
      this.audit(
        actor,
        {
          orgId,
          action,
          resourceType: 'membership',
          resourceId: member.id,
          before: { userId: member.userId, role: member.role },
        },
        member.role === 'owner' ? anotherOwnerExists(orgId, member.userId) : undefined,
      ),
      this.database.delete(memberships).where(eq(memberships.id, member.id)),
      this.database
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(
          and(
            eq(apiKeys.orgId, orgId),
            eq(apiKeys.createdByUserId, member.userId),
            isNull(apiKeys.revokedAt),
          ),
        ),
    ]);
  }

  /** A batch whose first statement guards "the org keeps an owner". */
  private async guarded(statements: Parameters<typeof this.database.batch>[0]) {
    try {
      await this.database.batch(statements);
    } catch (error) {
      if (isGuardFailure(error)) throw sole();
      this.handleDatabaseError(error, 'membership');
    }
  }

  private async findMember(orgId: string, userId: string): Promise<Member> {
    const [member] = await this.getReadDb('fresh')
      .select(MEMBER_COLUMNS)
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
      .limit(1);
    if (!member) throw new AppError('NOT_FOUND', 'Member not found');
    return member;
  }
}
