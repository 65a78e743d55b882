import { z } from 'zod';
import { Email, Role } from './accounts';

const Timestamp = z.string().describe('ISO 8601');

/** Every list: newest first, `nextCursor` null on the last page. */
export const PageQuery = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const CreateOrgBody = z.object({
  name: z.string().trim().min(1).max(100),
  slug: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, 'lowercase letters, digits and dashes')
    .optional(),
});
export const UpdateOrgBody = z.object({ name: z.string().trim().min(1).max(100) });
export const TransferOrgBody = z.object({ userId: z.string().min(1).max(64) });

export const OrgJson = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  plan: z.enum(['free', 'pro', 'enterprise']),
  role: Role.describe("the caller's role in this org"),
  createdAt: Timestamp,
  deletedAt: Timestamp.nullable(),
});
export type OrgJson = z.infer<typeof OrgJson>;
export const OrgListJson = z.object({ items: z.array(OrgJson) });

export const MemberJson = z.object({
  userId: z.string(),
  email: z.string(),
  displayName: z.string(),
  role: Role,
  joinedAt: Timestamp,
});
export type MemberJson = z.infer<typeof MemberJson>;
export const MemberPageJson = pageOf(MemberJson);
export const ChangeRoleBody = z.object({ role: Role });

export const CreateInvitationBody = z.object({ email: Email, role: Role });
export const InvitationJson = z.object({
  id: z.string(),
  email: z.string(),
  role: Role,
  expiresAt: Timestamp,
  createdAt: Timestamp,
});
export const InvitationPageJson = pageOf(InvitationJson);
/** The token is shown once; hand it to the invitee, who accepts it while signed in. */
export const CreatedInvitationJson = InvitationJson.extend({ token: z.string() });
export const AcceptInvitationBody = z.object({ token: z.string().min(1).max(200) });
export const AcceptedInvitationJson = z.object({ orgId: z.string(), role: Role });

export type PageQuery = z.infer<typeof PageQuery>;
export type CreateOrgBody = z.infer<typeof CreateOrgBody>;
export type UpdateOrgBody = z.infer<typeof UpdateOrgBody>;
export type TransferOrgBody = z.infer<typeof TransferOrgBody>;
export type OrgListJson = z.infer<typeof OrgListJson>;
export type MemberPageJson = z.infer<typeof MemberPageJson>;
export type ChangeRoleBody = z.infer<typeof ChangeRoleBody>;
export type CreateInvitationBody = z.infer<typeof CreateInvitationBody>;
export type InvitationJson = z.infer<typeof InvitationJson>;
export type InvitationPageJson = z.infer<typeof InvitationPageJson>;
export type CreatedInvitationJson = z.infer<typeof CreatedInvitationJson>;
export type AcceptInvitationBody = z.infer<typeof AcceptInvitationBody>;
export type AcceptedInvitationJson = z.infer<typeof AcceptedInvitationJson>;
