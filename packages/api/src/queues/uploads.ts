import { createLogger } from '../lib/log';
import { createServices } from '../services';
import { UploadMessage } from '../services/uploads';

const logger = createLogger('upload-queue');

// Seconds before retry n: 10, 20, 40, … capped at 5 minutes.
export const backoffSeconds = (attempt: number) =>
  Math.min(300, 10 * 2 ** Math.max(0, attempt - 1));

/** The upload queues (P0/P1/P2): one message, one job; parse, call the processor, ack or retry. */
export async function consumeUploads(batch: MessageBatch, env: Env, ctx: ExecutionContext) {
  const processor = createServices(env, ctx).uploadProcessor;
  for (const message of batch.messages) {
    const parsed = UploadMessage.safeParse(message.body);
    if (!parsed.success) {
      logger.error('Malformed upload message dropped', { id: message.id });
      message.ack();
      continue;
    }
    try {
      const outcome = await processor.process(parsed.data, message.attempts);
      logger.info('Upload processed', { jobId: parsed.data.jobId, outcome });
      message.ack();
    } catch (error) {
      logger.warn('Upload step failed; retrying', {
        jobId: parsed.data.jobId,
        attempt: message.attempts,
        error,
      });
      message.retry({ delaySeconds: backoffSeconds(message.attempts) });
    }
  }
}

/** The upload dead-letter queue: the job failed for good; say so to D1 and to its watchers. */
export async function consumeDeadUploads(batch: MessageBatch, env: Env, ctx: ExecutionContext) {
  const processor = createServices(env, ctx).uploadProcessor;
  for (const message of batch.messages) {
    const parsed = UploadMessage.safeParse(message.body);
    if (!parsed.success) {
      message.ack();
      continue;
    }
    try {
      await processor.failAfterRetries(parsed.data, 'the queue gave up on it');
      message.ack();
    } catch (error) {
      logger.error('Could not fail a dead upload; retrying', { jobId: parsed.data.jobId, error });
      message.retry();
    }
  }
}
