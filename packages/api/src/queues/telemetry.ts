import { TelemetryMessageSchema } from '../delivery/telemetry';
import { createLogger } from '../lib/log';
import { createServices } from '../services';

const logger = createLogger('telemetry-queue');

/**
 * The telemetry queue: every valid message of the batch is recorded in one go, then acked.
 * A malformed message can never succeed, so it is acked and logged rather than retried; a D1
 * failure retries the batch, which the consumer's idempotent inserts make safe. After the
 * counters move, the crash-rate rule runs on the releases they belong to.
 */
export async function consumeTelemetry(batch: MessageBatch, env: Env, ctx: ExecutionContext) {
  const events = [];
  for (const message of batch.messages) {
    const parsed = TelemetryMessageSchema.safeParse(message.body);
    if (parsed.success) events.push(...parsed.data.events);
    else logger.error('Malformed telemetry message dropped', { id: message.id });
  }
  try {
    const services = createServices(env, ctx);
    const touched = await services.telemetry.record(events);
    // Crash-rate auto-rollback of the releases the batch counted for. A failure retries the
    // batch: its events are already stored (counted once), and the retry evaluates again.
    await services.releases.enforceCrashRates(touched);
    batch.ackAll();
  } catch (error) {
    logger.warn('Telemetry batch failed; retrying', { size: batch.messages.length, error });
    batch.retryAll({ delaySeconds: 10 });
  }
}
