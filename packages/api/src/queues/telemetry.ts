import { TelemetryMessageSchema } from '../delivery/telemetry';
import { createLogger } from '../lib/log';
import { createServices } from '../services';

const logger = createLogger('telemetry-queue');

/**
 * The telemetry queue: every valid message of the batch is recorded in one go, then acked.
 * A malformed (poison) message is retried on its own, without holding up the others, until the
 * queue's max_retries move it to skypatch-telemetry-dlq, where it stays for inspection. A D1
 * failure retries the valid messages, which the consumer's idempotent inserts make safe. After
 * the counters move, the crash-rate rule runs on the releases they belong to.
 */
export async function consumeTelemetry(batch: MessageBatch, env: Env, ctx: ExecutionContext) {
  const events = [];
  const valid: Message[] = [];
  for (const message of batch.messages) {
    const parsed = TelemetryMessageSchema.safeParse(message.body);
    if (parsed.success) {
      events.push(...parsed.data.events);
      valid.push(message);
    } else {
      logger.error('Malformed telemetry message; off to the dead-letter queue', {
        id: message.id,
        attempts: message.attempts,
      });
      message.retry();
    }
  }
  if (valid.length === 0) return;
  try {
    const services = createServices(env, ctx);
    const touched = await services.telemetry.record(events);
    // Crash-rate auto-rollback of the releases the batch counted for. A failure retries the
    // batch: its events are already stored (counted once), and the retry evaluates again.
    await services.releases.enforceCrashRates(touched);
    if (valid.length === batch.messages.length) batch.ackAll();
    else for (const message of valid) message.ack();
  } catch (error) {
    logger.warn('Telemetry batch failed; retrying', { size: valid.length, error });
    if (valid.length === batch.messages.length) batch.retryAll({ delaySeconds: 10 });
    else for (const message of valid) message.retry({ delaySeconds: 10 });
  }
}

/**
 * skypatch-telemetry-dlq: messages the consumer could never parse. Logged with their size
 * (never their content, which is device input) and acked: the log line is the record.
 */
export async function consumeDeadTelemetry(batch: MessageBatch) {
  for (const message of batch.messages) {
    logger.error('Dead-lettered telemetry message', {
      id: message.id,
      attempts: message.attempts,
      bytes: JSON.stringify(message.body ?? null).length,
    });
    message.ack();
  }
}
