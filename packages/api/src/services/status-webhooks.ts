import { and, eq, inArray, isNotNull, isNull, lt, lte } from 'drizzle-orm';
import { type Page, pages, subscribers, webhookDeliveries } from '../db/schema';
import { sha256Hex } from '../lib/crypto';
import { decryptSecret, importSecretKey } from '../lib/secret-box';
import { unsubscribeToken, unsubscribeUrl } from '../lib/unsubscribe-token';
import { postWebhook } from '../lib/webhook-post';
import { SIGNATURE_HEADER, signWebhook } from '../lib/webhook-signature';
import type { StatusEvent, StatusWebhookMessage } from '../status-pages/events';
import { publicPageUrl, type StatusRows } from '../status-pages/serialize';
import {
  buildWebhookSnapshot,
  renderWebhookBody,
  type WebhookSnapshot,
} from '../status-pages/webhook-payload';
import { systemActor } from './actor';
import { BaseService } from './base';
import { QUARANTINE_PURGE_MS } from './status-subscribers';
import { loadWebhookRows } from './status-webhook-rows';

type DeliveryMessage = Extract<StatusWebhookMessage, { type: 'delivery' }>;
export type DeliveryOutcome = 'delivered' | 'retry' | 'dropped';

/** Delivery rows are kept this long for the team to look at, then purged daily. */
const DELIVERY_LOG_MS = 30 * 24 * 60 * 60 * 1000;
// Queue limits, in bytes of the message body: 128 KB per message, 100 messages and 256 KB per
// sendBatch. A payload of more bytes than this (UTF-8: a character can take four) travels without
// its body, and the delivery renders it again; the rest of a delivery message is under 1 KB.
const MAX_EMBEDDED_PAYLOAD_BYTES = 96_000;
const MAX_BATCH_BYTES = 240_000;
const utf8 = new TextEncoder();
const byteLength = (value: unknown) => utf8.encode(JSON.stringify(value)).byteLength;
// D1 binds at most 100 parameters per statement.
const ROWS_PER_INSERT = 12;
const IDS_PER_QUERY = 90;

const chunks = <T>(list: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(list.length / size) }, (_, i) =>
    list.slice(i * size, (i + 1) * size),
  );

/** Does `subscribed` (empty: everything) cover an event about `touched` components? */
export function wantsEvent(subscribed: readonly string[] | null, touched: readonly string[]) {
  if (!subscribed || subscribed.length === 0) return true;
  // An incident that names no component concerns the whole page (ours; Statuspage's rule for
  // component subscribers was not confirmed): better one notice too many than a missed one.
  if (touched.length === 0) return true;
  return touched.some((id) => subscribed.includes(id));
}

/**
 * The webhook pipeline (spec §5.2–5.3): an event fans out to the page's active webhook
 * subscribers, one recorded delivery each; a delivery is one signed POST; a delivery that runs
 * out of retries quarantines its subscriber, who is purged 30 days later.
 */
export class StatusWebhookService extends BaseService {
  /** Where links in payloads point: PUBLIC_URL, or wrangler dev's origin when it is unset. */
  private get origin(): string {
    return this.env.PUBLIC_URL || 'http://localhost:8787';
  }

  /** Records one delivery per interested subscriber and queues them. Returns their number. */
  async fanOut(eventId: string, event: StatusEvent, now = new Date()): Promise<number> {
    const rows = await loadWebhookRows(this.getReadDb('fresh'), event);
    if (!rows) return 0;
    if (event.kind === 'incident' && !notifies(rows, event)) return 0;
    const snapshot = this.snapshot(rows, event, now);
    if (!snapshot) return 0;

    const touched =
      event.kind === 'component'
        ? [event.componentId]
        : [...new Set(rows.incidentComponents.map((link) => link.componentId))];
    const active = await this.getReadDb('fresh')
      .select({ id: subscribers.id, componentIds: subscribers.componentIds })
      .from(subscribers)
      .where(
        and(
          eq(subscribers.pageId, event.pageId),
          eq(subscribers.mode, 'webhook'),
          isNotNull(subscribers.endpoint),
          isNull(subscribers.quarantinedAt),
        ),
      );
    const targets = active.filter((subscriber) => wantsEvent(subscriber.componentIds, touched));
    if (targets.length === 0) return 0;

    // Ids derive from (event, subscriber): a retried fan-out finds the rows it wrote and skips
    // them (they are queued already), queueing only the deliveries it creates now.
    const planned = await Promise.all(
      targets.map(async (subscriber) => ({
        id: `dlv_${(await sha256Hex(`${eventId}:${subscriber.id}`)).slice(0, 32)}`,
        subscriberId: subscriber.id,
        event: event.kind,
        createdAt: now,
      })),
    );
    const inserts = chunks(planned, ROWS_PER_INSERT).map((values) =>
      this.database
        .insert(webhookDeliveries)
        .values(values)
        .onConflictDoNothing()
        .returning({ id: webhookDeliveries.id }),
    );
    const [first, ...rest] = inserts;
    const created = new Set<string>();
    if (first) {
      for (const rows of await this.database.batch([first, ...rest])) {
        for (const row of rows) created.add(row.id);
      }
    }

    const embedded = byteLength(snapshot) <= MAX_EMBEDDED_PAYLOAD_BYTES;
    const messages = planned
      .filter((delivery) => created.has(delivery.id))
      .map((delivery) => ({
        body: {
          type: 'delivery',
          eventId,
          deliveryId: delivery.id,
          subscriberId: delivery.subscriberId,
          event,
          ...(embedded ? { payload: { ...snapshot } } : {}),
        } satisfies DeliveryMessage,
        contentType: 'json' as const,
      }));
    await this.sendInBatches(messages);
    return messages.length;
  }

  /**
   * Queues delivery messages. If a send fails, the rows of the messages not sent are deleted
   * before the error goes up, so the retried fan-out creates and queues them again (it skips
   * rows that exist).
   */
  private async sendInBatches(messages: { body: DeliveryMessage; contentType: 'json' }[]) {
    let sent = 0;
    try {
      let batch: typeof messages = [];
      let bytes = 0;
      for (const message of messages) {
        const size = byteLength(message.body);
        if (batch.length === 100 || (batch.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
          await this.env.STATUS_WEBHOOK_QUEUE.sendBatch(batch);
          sent += batch.length;
          batch = [];
          bytes = 0;
        }
        batch.push(message);
        bytes += size;
      }
      if (batch.length > 0) await this.env.STATUS_WEBHOOK_QUEUE.sendBatch(batch);
    } catch (error) {
      const unsent = messages.slice(sent).map((message) => message.body.deliveryId);
      for (const ids of chunks(unsent, IDS_PER_QUERY)) {
        await this.database
          .delete(webhookDeliveries)
          .where(and(inArray(webhookDeliveries.id, ids), eq(webhookDeliveries.attempts, 0)))
          .run();
      }
      throw error;
    }
  }

  /** One signed POST of one delivery; says whether the queue should retry it. */
  async deliver(message: DeliveryMessage, attempt: number, now = new Date()) {
    const [found] = await this.getReadDb('fresh')
      .select({ delivery: webhookDeliveries, subscriber: subscribers, page: pages })
      .from(webhookDeliveries)
      .innerJoin(subscribers, eq(subscribers.id, webhookDeliveries.subscriberId))
      .innerJoin(pages, eq(pages.id, subscribers.pageId))
      .where(eq(webhookDeliveries.id, message.deliveryId))
      .limit(1);
    // Unsubscribed or purged since (the delivery row went with the subscriber), or done.
    if (found?.delivery.status !== 'pending') return 'dropped';
    const { subscriber, page } = found;
    if (subscriber.quarantinedAt || !subscriber.endpoint || !subscriber.signingSecret) {
      await this.record(message.deliveryId, { status: 'failed', lastError: 'subscriber inactive' });
      return 'dropped';
    }
    // Claim this attempt: only the copy that raises `attempts` to this attempt's number POSTs.
    // A second copy of the message (queue redelivery, retried fan-out) finds the claim taken
    // and drops out instead of POSTing twice. (`<` rather than `= attempt - 1`: a try that
    // failed before its claim, on D1, must not strand the delivery.)
    const claimed = await this.database
      .update(webhookDeliveries)
      .set({ attempts: attempt })
      .where(
        and(
          eq(webhookDeliveries.id, message.deliveryId),
          eq(webhookDeliveries.status, 'pending'),
          lt(webhookDeliveries.attempts, attempt),
        ),
      )
      .returning({ id: webhookDeliveries.id });
    if (claimed.length === 0) return 'dropped';
    const snapshot =
      (message.payload as WebhookSnapshot | undefined) ?? (await this.render(message.event, now));
    if (!snapshot) {
      await this.record(message.deliveryId, { status: 'failed', lastError: 'event target gone' });
      return 'dropped';
    }
    const token = await unsubscribeToken(this.env.SECRETS_ENCRYPTION_KEY, subscriber.id);
    const body = renderWebhookBody(snapshot, {
      unsubscribe: unsubscribeUrl(this.pageUrl(page), token),
      documentation: `${this.origin}/docs`,
    });
    const secret = await decryptSecret(
      await importSecretKey(this.env.SECRETS_ENCRYPTION_KEY),
      subscriber.signingSecret,
    );
    const result = await postWebhook(subscriber.endpoint, body, {
      [SIGNATURE_HEADER]: await signWebhook(secret, body, now),
      'X-Skypatch-Delivery': message.deliveryId,
      'X-Skypatch-Event': message.eventId,
    });
    await this.record(message.deliveryId, {
      attempts: attempt,
      responseStatus: result.status,
      lastError: result.error,
      ...(result.ok ? { status: 'delivered', deliveredAt: new Date() } : {}),
    });
    return result.ok ? 'delivered' : 'retry';
  }

  /**
   * The dead-letter queue: the delivery used up its retries. Marks it failed and quarantines
   * the subscriber (no deliveries until reactivated; purged after 30 days). Statuspage also
   * mails the subscriber; this version has no mail provider.
   */
  async giveUp(message: DeliveryMessage, now = new Date()): Promise<void> {
    const [subscriber] = await this.getReadDb('fresh')
      .select({ id: subscribers.id, orgId: pages.orgId, quarantinedAt: subscribers.quarantinedAt })
      .from(subscribers)
      .innerJoin(pages, eq(pages.id, subscribers.pageId))
      .where(eq(subscribers.id, message.subscriberId))
      .limit(1);
    const markFailed = this.database
      .update(webhookDeliveries)
      .set({ status: 'failed' })
      .where(
        and(eq(webhookDeliveries.id, message.deliveryId), eq(webhookDeliveries.status, 'pending')),
      );
    if (!subscriber || subscriber.quarantinedAt) {
      await markFailed.run();
      return;
    }
    const purgeAt = new Date(now.getTime() + QUARANTINE_PURGE_MS);
    await this.database.batch([
      markFailed,
      this.database
        .update(subscribers)
        .set({ quarantinedAt: now, purgeAt, updatedAt: now })
        .where(and(eq(subscribers.id, subscriber.id), isNull(subscribers.quarantinedAt))),
      this.audit(systemActor('webhook retries exhausted', subscriber.orgId), {
        orgId: subscriber.orgId,
        action: 'subscriber.quarantine',
        resourceType: 'status_subscriber',
        resourceId: subscriber.id,
        after: { deliveryId: message.deliveryId, purgeAt: purgeAt.toISOString() },
      }),
    ]);
  }

  /** Daily: quarantined subscribers past purge_at, and delivery rows older than 30 days. */
  async purgeExpired(now = new Date()) {
    const [purged, deliveries] = await this.database.batch([
      this.database
        .delete(subscribers)
        .where(and(isNotNull(subscribers.quarantinedAt), lte(subscribers.purgeAt, now)))
        .returning({ id: subscribers.id }),
      this.database
        .delete(webhookDeliveries)
        .where(lt(webhookDeliveries.createdAt, new Date(now.getTime() - DELIVERY_LOG_MS)))
        .returning({ id: webhookDeliveries.id }),
    ]);
    if (purged.length > 0 || deliveries.length > 0) {
      this.logger.info('Purged webhook subscribers and deliveries', {
        subscribers: purged.length,
        deliveries: deliveries.length,
      });
    }
    return { subscribers: purged.length, deliveries: deliveries.length };
  }

  private async record(
    deliveryId: string,
    fields: Partial<typeof webhookDeliveries.$inferInsert>,
  ): Promise<void> {
    await this.database
      .update(webhookDeliveries)
      .set(fields)
      .where(eq(webhookDeliveries.id, deliveryId))
      .run();
  }

  private async render(event: StatusEvent, now: Date): Promise<WebhookSnapshot | null> {
    const rows = await loadWebhookRows(this.getReadDb('fresh'), event);
    return rows ? this.snapshot(rows, event, now) : null;
  }

  private pageUrl(page: Pick<Page, 'subdomain' | 'customDomain'>): string {
    return publicPageUrl(page, {
      statusPagesDomain: this.env.STATUS_PAGES_DOMAIN || undefined,
      requestOrigin: this.origin,
    });
  }

  private snapshot(rows: StatusRows, event: StatusEvent, now: Date) {
    return buildWebhookSnapshot(rows, event, { pageUrl: this.pageUrl(rows.page), now });
  }
}

/**
 * deliver_notifications: an incident event is sent only if the update it announces says so
 * (its own flag, whatever was posted since); an event that posted no update follows the
 * incident's newest update.
 */
function notifies(rows: StatusRows, event: Extract<StatusEvent, { kind: 'incident' }>): boolean {
  const announced = rows.updates.find((update) => update.id === event.incidentUpdateId);
  const newest = [...rows.updates].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  return (announced ?? newest)?.deliverNotifications ?? true;
}
