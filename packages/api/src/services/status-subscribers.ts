import {
  CreateSubscriberBody,
  SubscriberListQuery,
  UpdateSubscriberBody,
} from '@skypatch/protocol';
import { and, asc, eq, isNotNull, isNull, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { type Page, pages, type Subscriber, subscribers } from '../db/schema';
import { sha256Hex } from '../lib/crypto';
import { AppError } from '../lib/errors';
import { nonPublicHostReason } from '../lib/hosts';
import { newPublicId } from '../lib/ids';
import { encryptSecret, importSecretKey } from '../lib/secret-box';
import { unsubscribeToken } from '../lib/unsubscribe-token';
import { newSigningSecret } from '../lib/webhook-signature';
import { type Actor, systemActor } from './actor';
import { StatusService } from './status-base';

const Id = z.string().min(1).max(64);
const SubscriberRef = z.object({ pageId: Id, subscriberId: Id });
const CreateInput = CreateSubscriberBody.extend({ pageId: Id });
const UpdateInput = UpdateSubscriberBody.extend(SubscriberRef.shape);
const ListInput = SubscriberListQuery.extend({ pageId: Id });
const UnsubscribeInput = z.object({ subdomain: z.string().min(1).max(63), token: z.string() });

/** A subscriber as responses show it: every column but the secrets. */
export type SubscriberView = Omit<Subscriber, 'signingSecret' | 'unsubscribeTokenHash'>;

function view({
  signingSecret: _s,
  unsubscribeTokenHash: _t,
  ...rest
}: Subscriber): SubscriberView {
  return rest;
}

/** A quarantined subscriber is deleted this long after its endpoint gave up (spec §5.3). */
export const QUARANTINE_PURGE_MS = 30 * 24 * 60 * 60 * 1000;

const subscriberNotFound = () => new AppError('NOT_FOUND', 'Subscriber not found');

/** What the endpoint check needs from the environment. */
export interface EndpointRules {
  /** ALLOW_INSECURE_WEBHOOKS=true: http(s) to localhost on any port, for local development. */
  allowInsecure: boolean;
  /** The platform's own hosts (PUBLIC_URL's, STATUS_PAGES_DOMAIN): no webhook may call back. */
  platformHosts: readonly string[];
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** The rules `env` asks for: the vars are strings, and an unset one means the safe choice. */
export function endpointRules(env: {
  PUBLIC_URL?: string;
  STATUS_PAGES_DOMAIN?: string;
  ALLOW_INSECURE_WEBHOOKS?: string;
}): EndpointRules {
  const hosts: string[] = [];
  try {
    if (env.PUBLIC_URL) hosts.push(new URL(env.PUBLIC_URL).hostname);
  } catch {
    // A malformed PUBLIC_URL is reported where it is used; here it names no host.
  }
  if (env.STATUS_PAGES_DOMAIN) hosts.push(env.STATUS_PAGES_DOMAIN.toLowerCase());
  return { allowInsecure: env.ALLOW_INSECURE_WEBHOOKS === 'true', platformHosts: hosts };
}

/**
 * Where a webhook may point (SSRF hardening, since the Worker POSTs wherever a manager says):
 * https on the default port to a public-looking DNS name. Refused: IP literals (v4, v6),
 * localhost and *.localhost / *.local / *.internal, single-label names, other ports, the
 * platform's own hosts and their subdomains, user:password (it would sit in D1 and logs in the
 * clear), #fragments, more than 2,048 characters (the schema's limit). With `allowInsecure`,
 * http or https to localhost, 127.0.0.1 or [::1] on any port is allowed, for a receiver on the
 * developer's machine. DNS that resolves a public name to a private address is not checked
 * here: Workers' fetch cannot reach private networks.
 */
export function assertWebhookEndpoint(endpoint: string, rules: EndpointRules): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new AppError('BAD_REQUEST', 'endpoint is not a URL');
  }
  if (url.username || url.password) {
    throw new AppError('BAD_REQUEST', 'endpoint must not carry credentials; sign-check instead');
  }
  if (url.hash) throw new AppError('BAD_REQUEST', 'endpoint must not have a #fragment');
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const web = url.protocol === 'https:' || url.protocol === 'http:';
  if (rules.allowInsecure && web && LOOPBACK_HOSTS.includes(host)) return url.toString();
  if (url.protocol !== 'https:') throw new AppError('BAD_REQUEST', 'endpoint must be an https URL');
  if (url.port !== '') {
    throw new AppError('BAD_REQUEST', 'endpoint must use the default https port (443)');
  }
  const notPublic = nonPublicHostReason(host);
  if (notPublic)
    throw new AppError('BAD_REQUEST', `endpoint must be a public host name, not ${notPublic}`);
  if (rules.platformHosts.some((own) => host === own || host.endsWith(`.${own}`))) {
    throw new AppError('BAD_REQUEST', "endpoint must not point at this service's own hosts");
  }
  return url.toString();
}

/**
 * Status-page subscribers (spec §5.1, Statuspage's management shape). Webhook subscribers are
 * created by the page's admins, so they are confirmed at once and get a signing secret, shown
 * once. Email subscribers are stored, unconfirmed: this version has no mail provider.
 */
export class StatusSubscriberService extends StatusService {
  async create(actor: Actor, input: z.input<typeof CreateInput>) {
    const { pageId, subscriber: fields } = CreateInput.parse(input);
    const page = await this.ownedPage(actor, pageId, 'statuspage.manage');
    const endpoint = fields.endpoint
      ? assertWebhookEndpoint(fields.endpoint, endpointRules(this.env))
      : null;
    const componentIds = [...new Set(fields.component_ids ?? [])];
    await this.pageComponents(page.id, componentIds);
    if (endpoint) await this.refuseDuplicateEndpoint(page.id, endpoint);

    const id = newPublicId();
    const now = new Date();
    const signingSecret = endpoint ? newSigningSecret() : null;
    const [[row]] = await this.database.batch([
      this.database
        .insert(subscribers)
        .values({
          id,
          pageId: page.id,
          mode: endpoint ? 'webhook' : 'email',
          email: fields.email ?? null,
          endpoint,
          componentIds,
          signingSecret: signingSecret ? await this.encrypt(signingSecret) : null,
          unsubscribeTokenHash: await sha256Hex(
            await unsubscribeToken(this.env.SECRETS_ENCRYPTION_KEY, id),
          ),
          confirmedAt: endpoint ? now : null,
          createdAt: now,
          updatedAt: now,
        })
        .returning(),
      this.audit(actor, {
        orgId: page.orgId,
        action: 'subscriber.create',
        resourceType: 'status_subscriber',
        resourceId: id,
        after: { pageId: page.id, mode: endpoint ? 'webhook' : 'email', componentIds },
      }),
    ]);
    if (!row) throw new AppError('INTERNAL', 'Subscriber creation wrote no row');
    return { subscriber: view(row), signingSecret };
  }

  async list(actor: Actor, input: z.input<typeof ListInput>): Promise<SubscriberView[]> {
    const { pageId, page: pageNumber, limit, type, state } = ListInput.parse(input);
    // Endpoints are often credentials themselves (Slack, Discord URLs): managers only.
    const page = await this.ownedPage(actor, pageId, 'statuspage.manage');
    const stateFilter: Record<typeof state, SQL | undefined> = {
      all: undefined,
      active: and(isNull(subscribers.quarantinedAt), isNotNull(subscribers.confirmedAt)),
      unconfirmed: isNull(subscribers.confirmedAt),
      quarantined: isNotNull(subscribers.quarantinedAt),
    };
    const rows = await this.getReadDb('fresh')
      .select()
      .from(subscribers)
      .where(
        and(
          eq(subscribers.pageId, page.id),
          type ? eq(subscribers.mode, type) : undefined,
          stateFilter[state],
        ),
      )
      .orderBy(asc(subscribers.createdAt), asc(subscribers.id))
      .limit(limit)
      .offset((Math.max(pageNumber, 1) - 1) * limit);
    return rows.map(view);
  }

  async get(actor: Actor, input: z.input<typeof SubscriberRef>): Promise<SubscriberView> {
    const { pageId, subscriberId } = SubscriberRef.parse(input);
    const page = await this.ownedPage(actor, pageId, 'statuspage.manage');
    return view(await this.findOnPage(page, subscriberId));
  }

  async update(actor: Actor, input: z.input<typeof UpdateInput>): Promise<SubscriberView> {
    const { pageId, subscriberId, subscriber: fields } = UpdateInput.parse(input);
    const page = await this.ownedPage(actor, pageId, 'statuspage.manage');
    const current = await this.findOnPage(page, subscriberId);
    const changes: Partial<Subscriber> = {};
    if (fields.endpoint !== undefined) {
      if (current.mode !== 'webhook') {
        throw new AppError('BAD_REQUEST', 'An email subscriber has no endpoint');
      }
      changes.endpoint = assertWebhookEndpoint(fields.endpoint, endpointRules(this.env));
      if (changes.endpoint !== current.endpoint) {
        await this.refuseDuplicateEndpoint(page.id, changes.endpoint);
      }
    }
    if (fields.email !== undefined) changes.email = fields.email;
    if (fields.component_ids !== undefined) {
      const ids = [...new Set(fields.component_ids ?? [])];
      await this.pageComponents(page.id, ids);
      changes.componentIds = ids;
    }
    if (Object.keys(changes).length === 0) return view(current);
    const [[row]] = await this.database.batch([
      this.database
        .update(subscribers)
        .set({ ...changes, updatedAt: new Date() })
        .where(eq(subscribers.id, current.id))
        .returning(),
      this.audit(actor, {
        orgId: page.orgId,
        action: 'subscriber.update',
        resourceType: 'status_subscriber',
        resourceId: current.id,
        before: { componentIds: current.componentIds, endpointChanged: false },
        after: { componentIds: changes.componentIds, endpointChanged: 'endpoint' in changes },
      }),
    ]);
    if (!row) throw subscriberNotFound();
    return view(row);
  }

  /** Deletes the subscriber (its delivery log goes with it) and returns what it was. */
  async remove(actor: Actor, input: z.input<typeof SubscriberRef>): Promise<SubscriberView> {
    const { pageId, subscriberId } = SubscriberRef.parse(input);
    const page = await this.ownedPage(actor, pageId, 'statuspage.manage');
    const current = await this.findOnPage(page, subscriberId);
    await this.database.batch([
      this.database.delete(subscribers).where(eq(subscribers.id, current.id)),
      this.audit(actor, {
        orgId: page.orgId,
        action: 'subscriber.delete',
        resourceType: 'status_subscriber',
        resourceId: current.id,
        before: { pageId: page.id, mode: current.mode },
      }),
    ]);
    return view(current);
  }

  /** Lifts a quarantine: deliveries resume with the next event. No-op when not quarantined. */
  async reactivate(actor: Actor, input: z.input<typeof SubscriberRef>): Promise<SubscriberView> {
    const { pageId, subscriberId } = SubscriberRef.parse(input);
    const page = await this.ownedPage(actor, pageId, 'statuspage.manage');
    const current = await this.findOnPage(page, subscriberId);
    if (!current.quarantinedAt) return view(current);
    const [[row]] = await this.database.batch([
      this.database
        .update(subscribers)
        .set({ quarantinedAt: null, purgeAt: null, updatedAt: new Date() })
        .where(eq(subscribers.id, current.id))
        .returning(),
      this.audit(actor, {
        orgId: page.orgId,
        action: 'subscriber.reactivate',
        resourceType: 'status_subscriber',
        resourceId: current.id,
        before: { quarantinedAt: current.quarantinedAt.toISOString() },
      }),
    ]);
    if (!row) throw subscriberNotFound();
    return view(row);
  }

  /**
   * The public unsubscribe link: whoever holds the token (it arrives in every payload) may end
   * the subscription. Deletes the row; the page's admins see it in the audit log.
   */
  async unsubscribe(input: z.input<typeof UnsubscribeInput>): Promise<{ pageName: string }> {
    const { subdomain, token } = UnsubscribeInput.parse(input);
    const [found] = await this.getReadDb('fresh')
      .select({ subscriber: subscribers, page: pages })
      .from(subscribers)
      .innerJoin(pages, eq(pages.id, subscribers.pageId))
      .where(
        and(
          eq(subscribers.unsubscribeTokenHash, await sha256Hex(token)),
          eq(pages.subdomain, subdomain),
        ),
      )
      .limit(1);
    if (!found) throw new AppError('NOT_FOUND', 'Unknown or already used unsubscribe link');
    const actor = systemActor('unsubscribe link', found.page.orgId);
    await this.database.batch([
      this.database.delete(subscribers).where(eq(subscribers.id, found.subscriber.id)),
      this.audit(actor, {
        orgId: found.page.orgId,
        action: 'subscriber.unsubscribe',
        resourceType: 'status_subscriber',
        resourceId: found.subscriber.id,
        before: { pageId: found.page.id, mode: found.subscriber.mode },
      }),
    ]);
    return { pageName: found.page.name };
  }

  private async encrypt(value: string): Promise<string> {
    return encryptSecret(await importSecretKey(this.env.SECRETS_ENCRYPTION_KEY), value);
  }

  private async findOnPage(page: Page, subscriberId: string): Promise<Subscriber> {
    const [row] = await this.getReadDb('fresh')
      .select()
      .from(subscribers)
      .where(and(eq(subscribers.id, subscriberId), eq(subscribers.pageId, page.id)))
      .limit(1);
    if (!row) throw subscriberNotFound();
    return row;
  }

  /** Two subscribers on one endpoint would get every event twice. */
  private async refuseDuplicateEndpoint(pageId: string, endpoint: string): Promise<void> {
    const [taken] = await this.getReadDb('fresh')
      .select({ id: subscribers.id })
      .from(subscribers)
      .where(and(eq(subscribers.pageId, pageId), eq(subscribers.endpoint, endpoint)))
      .limit(1);
    if (taken) {
      throw new AppError('CONFLICT', 'This page already has a subscriber for that endpoint', {
        subscriberId: taken.id,
      });
    }
  }
}
