import { AcceptInvitationBody, CreateInvitationBody } from '@skypatch/protocol';
import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Invitation, invitations, memberships } from '../db/schema';
import { sha256Hex } from '../lib/crypto';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { PageInput, toPage } from '../lib/pagination';
import { isToken, mintToken } from '../lib/tokens';
import type { Actor } from './actor';
import { BaseService, isGuardFailure, isUniqueViolation } from './base';
import { roleAtLeast } from './permissions';
import { RateLimitService } from './rate-limit';
import { requireUser } from './sessions';

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const OrgId = z.string().min(1).max(64);
const CreateInput = CreateInvitationBody.extend({ orgId: OrgId });
const InvitationInput = z.object({ orgId: OrgId, invitationId: z.string().min(1).max(64) });
const ListInput = PageInput.extend({ orgId: OrgId });
const AcceptInput = AcceptInvitationBody;

const pending = (now: Date) =>
  and(
    isNull(invitations.acceptedAt),
    isNull(invitations.revokedAt),
    gt(invitations.expiresAt, now),
  );

/**
 * Joining an org: an admin creates an invitation and hands its one-time token to the person
 * (the token is shown once); whoever holds it accepts while signed in. No email is sent and
 * none is looked up, so an invitation reveals nothing about who has an account.
 */
export class InvitationService extends BaseService {
  private readonly rateLimits = new RateLimitService(this.env.RATE_LIMITS);

  async create(actor: Actor, input: z.input<typeof CreateInput>) {
    const { orgId, email, role } = CreateInput.parse(input);
    const access = await this.authorize(actor, orgId, 'member.manage');
    if (!roleAtLeast(access.role, role)) {
      throw new AppError('FORBIDDEN', `An ${access.role} cannot invite someone as ${role}`);
    }
    await this.rateLimits.consume('invitationCreate', orgId);
    const token = await mintToken('invitation');
    const id = newId('invitation');
    const [[invitation]] = await this.database.batch([
      this.database
        .insert(invitations)
        .values({
          id,
          orgId,
          email,
          role,
          tokenHash: token.hash,
          invitedByUserId: access.userId,
          expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
        })
        .returning(),
      this.audit(actor, {
        orgId,
        action: 'invitation.create',
        resourceType: 'invitation',
        resourceId: id,
        after: { email, role },
      }),
    ]);
    if (!invitation) throw new AppError('INTERNAL', 'Invitation wrote no row');
    return { invitation, token: token.secret };
  }

  async list(actor: Actor, input: z.input<typeof ListInput>) {
    const { orgId, cursor, limit } = ListInput.parse(input);
    await this.authorize(actor, orgId, 'member.manage');
    const rows = await this.getReadDb('fresh')
      .select()
      .from(invitations)
      .where(
        and(
          eq(invitations.orgId, orgId),
          pending(new Date()),
          this.afterCursor(invitations.createdAt, invitations.id, cursor),
        ),
      )
      .orderBy(desc(invitations.createdAt), desc(invitations.id))
      .limit(limit + 1);
    return toPage(rows, limit, (row) => row.createdAt);
  }

  async revoke(actor: Actor, input: z.input<typeof InvitationInput>): Promise<void> {
    const { orgId, invitationId } = InvitationInput.parse(input);
    await this.authorize(actor, orgId, 'member.manage');
    const invitation = await this.findPending(
      and(eq(invitations.id, invitationId), eq(invitations.orgId, orgId)),
    );
    await this.database.batch([
      this.database
        .update(invitations)
        .set({ revokedAt: new Date() })
        .where(eq(invitations.id, invitation.id)),
      this.audit(actor, {
        orgId,
        action: 'invitation.revoke',
        resourceType: 'invitation',
        resourceId: invitation.id,
        before: { email: invitation.email, role: invitation.role },
      }),
    ]);
  }

  /** The signed-in caller joins the invitation's org with its role. */
  async accept(actor: Actor, input: z.input<typeof AcceptInput>) {
    const { userId } = requireUser(actor);
    const { token } = AcceptInput.parse(input);
    const invalid = new AppError('NOT_FOUND', 'Unknown, used, revoked or expired invitation');
    if (!isToken('invitation', token)) throw invalid;
    const invitation = await this.findPending(
      eq(invitations.tokenHash, await sha256Hex(token)),
    ).catch(() => {
      throw invalid;
    });
    const now = new Date();
    try {
      await this.database.batch([
        // Guard: still pending when the batch runs, so one token makes one member.
        this.audit(
          actor,
          {
            orgId: invitation.orgId,
            action: 'invitation.accept',
            resourceType: 'invitation',
            resourceId: invitation.id,
            after: { userId, role: invitation.role },
          },
          sql`EXISTS (SELECT 1 FROM ${invitations} i WHERE i.id = ${invitation.id} AND i.accepted_at IS NULL AND i.revoked_at IS NULL)`,
        ),
        this.database
          .update(invitations)
          .set({ acceptedAt: now, acceptedByUserId: userId })
          .where(eq(invitations.id, invitation.id)),
        this.database.insert(memberships).values({
          id: newId('membership'),
          orgId: invitation.orgId,
          userId,
          role: invitation.role,
        }),
      ]);
    } catch (error) {
      if (isGuardFailure(error)) throw invalid;
      if (isUniqueViolation(error)) {
        throw new AppError('CONFLICT', 'You are already a member of this organization');
      }
      this.handleDatabaseError(error, 'acceptInvitation');
    }
    return { orgId: invitation.orgId, role: invitation.role };
  }

  private async findPending(where: ReturnType<typeof and>): Promise<Invitation> {
    const [invitation] = await this.getReadDb('fresh')
      .select()
      .from(invitations)
      .where(and(where, pending(new Date())))
      .limit(1);
    if (!invitation) throw new AppError('NOT_FOUND', 'Invitation not found');
    return invitation;
  }
}
