import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { DeviceEvent, TelemetryMessage } from '../src/delivery/telemetry';
import worker from '../src/index';

/**
 * Delivers one queue batch straight to the Worker's consumer, deterministically (the real
 * queue's 5 s batching is for the end-to-end tests): one message per body.
 */
export async function deliverTelemetry(bodies: unknown[], attempts = 1) {
  const batch = createMessageBatch(
    'skypatch-telemetry',
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

export const telemetryMessage = (events: DeviceEvent[]): TelemetryMessage => ({ events });
