import { createLogger } from '../lib/log';
import { createServices } from '../services';
import { StatusWebhookMessage } from '../status-pages/events';

const logger = createLogger('status-webhook-queue');

/**
 * Seconds before retry n of a delivery: base · 2^(n−1). With the default base of 120 s and the
 * consumer's 5 retries, an endpoint is tried 6 times over about an hour (spec §5.3).
 */
export function retryDelaySeconds(env: Env, attempt: number): number {
  const base = Number(env.STATUS_WEBHOOK_RETRY_SECONDS);
  const seconds = (Number.isFinite(base) && base >= 0 ? base : 120) * 2 ** Math.max(0, attempt - 1);
  return Math.min(seconds, 12 * 60 * 60); // the Queues maximum
}

/**
 * skypatch-status-webhooks: `event` messages fan out, `delivery` messages POST. Each message is
 * settled alone, so one slow or failing endpoint never holds back another subscriber's delivery.
 */
export async function consumeStatusWebhooks(batch: MessageBatch, env: Env, ctx: ExecutionContext) {
  const webhooks = createServices(env, ctx).statusWebhooks;
  await Promise.all(
    batch.messages.map(async (message) => {
      const parsed = StatusWebhookMessage.safeParse(message.body);
      if (!parsed.success) {
        logger.error('Malformed status webhook message dropped', { id: message.id });
        message.ack();
        return;
      }
      const body = parsed.data;
      try {
        if (body.type === 'event') {
          const count = await webhooks.fanOut(body.eventId, body.event);
          logger.info('Status event fanned out', { eventId: body.eventId, deliveries: count });
          message.ack();
          return;
        }
        const outcome = await webhooks.deliver(body, message.attempts);
        if (outcome === 'retry') {
          message.retry({ delaySeconds: retryDelaySeconds(env, message.attempts) });
        } else {
          message.ack();
        }
      } catch (error) {
        // D1 or the queue failed us, not the endpoint: try again the same way.
        logger.warn('Status webhook message failed; retrying', {
          type: body.type,
          eventId: body.eventId,
          attempt: message.attempts,
          error,
        });
        message.retry({ delaySeconds: retryDelaySeconds(env, message.attempts) });
      }
    }),
  );
}

/** skypatch-status-webhooks-dlq: a delivery out of retries quarantines its subscriber. */
export async function consumeDeadStatusWebhooks(
  batch: MessageBatch,
  env: Env,
  ctx: ExecutionContext,
) {
  const webhooks = createServices(env, ctx).statusWebhooks;
  for (const message of batch.messages) {
    const parsed = StatusWebhookMessage.safeParse(message.body);
    if (!parsed.success) {
      message.ack();
      continue;
    }
    const body = parsed.data;
    if (body.type === 'event') {
      logger.error('Status event never fanned out; its webhooks are lost', {
        eventId: body.eventId,
        pageId: body.event.pageId,
      });
      message.ack();
      continue;
    }
    try {
      await webhooks.giveUp(body);
      logger.warn('Webhook subscriber quarantined', {
        subscriberId: body.subscriberId,
        deliveryId: body.deliveryId,
      });
      message.ack();
    } catch (error) {
      logger.error('Could not quarantine a webhook subscriber; retrying', {
        subscriberId: body.subscriberId,
        error,
      });
      message.retry();
    }
  }
}
