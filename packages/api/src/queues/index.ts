import { createLogger } from '../lib/log';
import { consumeDeadStatusWebhooks, consumeStatusWebhooks } from './status-webhooks';
import { consumeDeadTelemetry, consumeTelemetry } from './telemetry';
import { consumeDeadUploads, consumeUploads } from './uploads';

const logger = createLogger('queues');

/**
 * Routes each batch to the consumer of its queue. Consumers register here as they land (upload
 * processing, telemetry aggregation, dead-letter handling); until then a batch is retried, so
 * nothing is acknowledged without having been processed.
 */
type Consumer = (batch: MessageBatch, env: Env, ctx: ExecutionContext) => Promise<void>;
export const consumers: Record<string, Consumer> = {
  'skypatch-uploads-p0': consumeUploads,
  'skypatch-uploads-p1': consumeUploads,
  'skypatch-uploads-p2': consumeUploads,
  'skypatch-uploads-dlq': consumeDeadUploads,
  'skypatch-telemetry': consumeTelemetry,
  'skypatch-telemetry-dlq': consumeDeadTelemetry,
  'skypatch-status-webhooks': consumeStatusWebhooks,
  'skypatch-status-webhooks-dlq': consumeDeadStatusWebhooks,
};

export async function queue(batch: MessageBatch, env: Env, ctx: ExecutionContext): Promise<void> {
  const consumer = consumers[batch.queue];
  if (!consumer) {
    logger.warn('No consumer for queue; retrying batch', {
      queue: batch.queue,
      size: batch.messages.length,
    });
    batch.retryAll();
    return;
  }
  await consumer(batch, env, ctx);
}
