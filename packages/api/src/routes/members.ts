import {
  AcceptedInvitationJson,
  AcceptInvitationBody,
  ChangeRoleBody,
  CreatedInvitationJson,
  CreateInvitationBody,
  InvitationPageJson,
  MemberJson,
  MemberPageJson,
  PageQuery,
} from '@skypatch/protocol';
import type { Invitation } from '../db/schema';
import type { Member } from '../services/members';
import {
  createRouter,
  defineRoute,
  errorResponses,
  iso,
  jsonBody,
  jsonResponse,
  noContent,
  toPageJson,
} from './openapi';
import { IdParam, OrgParams } from './params';

const MemberParams = OrgParams.extend({ userId: IdParam });
const InvitationParams = OrgParams.extend({ invitationId: IdParam });

function toMemberJson(member: Member) {
  return {
    userId: member.userId,
    email: member.email,
    displayName: member.displayName,
    role: member.role,
    joinedAt: iso(member.createdAt),
  };
}

function toInvitationJson(invitation: Invitation) {
  return {
    id: invitation.id,
    email: invitation.email,
    role: invitation.role,
    expiresAt: iso(invitation.expiresAt),
    createdAt: iso(invitation.createdAt),
  };
}

const tags = ['members'];

const listMembers = defineRoute(
  { kind: 'org', permission: 'member.read' },
  {
    method: 'get',
    path: '/v1/orgs/{orgId}/members',
    tags,
    operationId: 'listMembers',
    summary: 'Members of an organization',
    request: { params: OrgParams, query: PageQuery },
    responses: { 200: jsonResponse(MemberPageJson, 'Newest first'), ...errorResponses },
  },
);

const changeRole = defineRoute(
  { kind: 'org', permission: 'member.manage' },
  {
    method: 'patch',
    path: '/v1/orgs/{orgId}/members/{userId}',
    tags,
    operationId: 'changeMemberRole',
    summary: "Change a member's role (only owners grant or remove ownership)",
    request: { params: MemberParams, body: jsonBody(ChangeRoleBody) },
    responses: { 200: jsonResponse(MemberJson, 'The member'), ...errorResponses },
  },
);

const removeMember = defineRoute(
  { kind: 'org', permission: 'member.manage' },
  {
    method: 'delete',
    path: '/v1/orgs/{orgId}/members/{userId}',
    tags,
    operationId: 'removeMember',
    summary: 'Remove a member; the API keys they created here are revoked',
    request: { params: MemberParams },
    responses: { 204: noContent('Removed'), ...errorResponses },
  },
);

const listInvitations = defineRoute(
  { kind: 'org', permission: 'member.manage' },
  {
    method: 'get',
    path: '/v1/orgs/{orgId}/invitations',
    tags,
    operationId: 'listInvitations',
    summary: 'Pending invitations',
    request: { params: OrgParams, query: PageQuery },
    responses: { 200: jsonResponse(InvitationPageJson, 'Newest first'), ...errorResponses },
  },
);

const createInvitation = defineRoute(
  { kind: 'org', permission: 'member.manage' },
  {
    method: 'post',
    path: '/v1/orgs/{orgId}/invitations',
    tags,
    operationId: 'createInvitation',
    summary: 'Invite someone: returns a one-time token for them to accept (valid 7 days)',
    request: { params: OrgParams, body: jsonBody(CreateInvitationBody) },
    responses: {
      201: jsonResponse(CreatedInvitationJson, 'The token is shown only now'),
      ...errorResponses,
    },
  },
);

const revokeInvitation = defineRoute(
  { kind: 'org', permission: 'member.manage' },
  {
    method: 'delete',
    path: '/v1/orgs/{orgId}/invitations/{invitationId}',
    tags,
    operationId: 'revokeInvitation',
    summary: 'Withdraw a pending invitation',
    request: { params: InvitationParams },
    responses: { 204: noContent('Revoked'), ...errorResponses },
  },
);

const acceptInvitation = defineRoute(
  { kind: 'user' },
  {
    method: 'post',
    path: '/v1/invitations/accept',
    tags,
    operationId: 'acceptInvitation',
    summary: 'Join an organization with an invitation token',
    request: { body: jsonBody(AcceptInvitationBody) },
    responses: { 200: jsonResponse(AcceptedInvitationJson, 'Joined'), ...errorResponses },
  },
);

export const memberRoutes = createRouter()
  .openapi(listMembers, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('query') };
    const page = await c.var.services.members.list(c.var.actor, input);
    return c.json(toPageJson(page, toMemberJson), 200);
  })
  .openapi(changeRole, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    return c.json(toMemberJson(await c.var.services.members.changeRole(c.var.actor, input)), 200);
  })
  .openapi(removeMember, async (c) => {
    await c.var.services.members.remove(c.var.actor, c.req.valid('param'));
    return c.body(null, 204);
  })
  .openapi(listInvitations, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('query') };
    const page = await c.var.services.invitations.list(c.var.actor, input);
    return c.json(toPageJson(page, toInvitationJson), 200);
  })
  .openapi(createInvitation, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    const { invitation, token } = await c.var.services.invitations.create(c.var.actor, input);
    return c.json({ ...toInvitationJson(invitation), token }, 201);
  })
  .openapi(revokeInvitation, async (c) => {
    await c.var.services.invitations.revoke(c.var.actor, c.req.valid('param'));
    return c.body(null, 204);
  })
  .openapi(acceptInvitation, async (c) =>
    c.json(await c.var.services.invitations.accept(c.var.actor, c.req.valid('json')), 200),
  );
