import { z } from 'zod';
import { COMPONENT_STATUSES } from '../db/schema';
import { newId } from '../lib/ids';
import { createLogger } from '../lib/log';

const Id = z.string().min(1).max(64);
const Status = z.enum(COMPONENT_STATUSES);

/** An event as it travels on the queue (JSON: the date is a string there). */
export const StatusEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('incident'),
    pageId: Id,
    incidentId: Id,
    /**
     * The update this event announces: the payload shows the incident as of it, and its
     * `deliver_notifications` decides whether anyone hears. Absent for a change that posts
     * no update (a rename, an edit of an old update): then the incident as it is now.
     */
    incidentUpdateId: Id.optional(),
  }),
  z.object({
    kind: z.literal('component'),
    pageId: Id,
    componentId: Id,
    oldStatus: Status,
    newStatus: Status,
    at: z.coerce.date(),
    /** The component_status_log row the change opened: the event's stable id. */
    changeId: Id,
  }),
]);

/**
 * What changed on a status page, as the management services report it after their D1 batch
 * committed. Webhook subscribers receive one delivery per event (spec §5.2): an incident event
 * for every incident create or update, a component event for every real status change.
 */
export type StatusEvent = z.infer<typeof StatusEventSchema>;

/**
 * The two messages of STATUS_WEBHOOK_QUEUE. An `event` fans out to the page's subscribers; each
 * subscriber then gets its own `delivery`, so a failing endpoint is retried (and finally
 * quarantined) alone. `payload` is the event's body as rendered at fan-out, so every retry
 * sends the same state; it is left out when too big for a queue message, and the delivery
 * renders it again.
 */
export const StatusWebhookMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event'), eventId: Id, event: StatusEventSchema }),
  z.object({
    type: z.literal('delivery'),
    eventId: Id,
    deliveryId: Id,
    subscriberId: Id,
    event: StatusEventSchema,
    payload: z.record(z.string(), z.unknown()).optional(),
  }),
]);
export type StatusWebhookMessage = z.infer<typeof StatusWebhookMessage>;

const logger = createLogger('status-events');

/**
 * Hands committed changes to the webhook pipeline: one queue message per event, each with an
 * id of its own (the deliveries it fans out to are derived from it, so a retried fan-out does
 * not deliver twice). Never throws: the change is already committed, and a caller answering
 * 500 for it would be wrong; a lost event is logged instead.
 */
export async function publishStatusEvents(env: Env, events: StatusEvent[]): Promise<void> {
  if (events.length === 0) return;
  const messages = events.map((event) => ({
    body: { type: 'event', eventId: newId('event'), event } satisfies StatusWebhookMessage,
    contentType: 'json' as const,
  }));
  try {
    // sendBatch takes at most 100 messages.
    for (let i = 0; i < messages.length; i += 100) {
      await env.STATUS_WEBHOOK_QUEUE.sendBatch(messages.slice(i, i + 100));
    }
  } catch (error) {
    logger.error('Status events not queued; webhooks for them are lost', {
      count: events.length,
      pages: [...new Set(events.map((event) => event.pageId))],
      error,
    });
  }
}
