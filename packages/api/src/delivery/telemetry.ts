import { TelemetryEventType } from '@skypatch/protocol';
import { z } from 'zod';
import type { TelemetryEventType as StoredEventType } from '../db/schema';
import { newId } from '../lib/ids';
import { createLogger } from '../lib/log';

export { TelemetryEventType };

// The wire enum and the column's enum are two lists of seed 000's types (db/ imports only
// Drizzle); this line stops compiling when they drift apart.
const sameEventTypes: [TelemetryEventType, StoredEventType] extends [
  StoredEventType,
  TelemetryEventType,
]
  ? true
  : never = true;
void sameEventTypes;

const logger = createLogger('telemetry');

/**
 * One device event on its way to the telemetry consumer, in seed 000's terms whatever protocol
 * it came from (native, CodePush report_status, Shorebird patch events). `id` makes redelivered
 * messages harmless: the consumer inserts each id once.
 */
export interface DeviceEvent {
  id: string;
  type: TelemetryEventType;
  appId: string;
  deviceId: string;
  releaseId: string | null;
  bundleVersion: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  metadata: Record<string, unknown> | null;
  /** Milliseconds since the epoch, when the device says it happened. */
  timestamp: number;
}

export interface TelemetryMessage {
  events: DeviceEvent[];
}

const nullableText = (max: number) => z.string().max(max).nullable();

/** What the consumer accepts off the queue; anything else is a poison message. */
export const TelemetryMessageSchema = z.object({
  events: z
    .array(
      z.object({
        id: z.string().min(1).max(100),
        type: TelemetryEventType,
        appId: z.string().min(1).max(100),
        deviceId: z.string().min(1).max(200),
        releaseId: nullableText(100),
        bundleVersion: nullableText(100),
        errorCode: nullableText(100),
        errorMessage: nullableText(2000),
        metadata: z.record(z.string(), z.unknown()).nullable(),
        timestamp: z.number().int().nonnegative(),
      }),
    )
    .max(1000),
}) satisfies z.ZodType<TelemetryMessage>;

export type NewDeviceEvent = Pick<DeviceEvent, 'type' | 'appId' | 'deviceId'> &
  Partial<Omit<DeviceEvent, 'type' | 'appId' | 'deviceId'>>;

/**
 * What a native device says about itself, in every event's metadata: the consumer's devices
 * upsert reads platform, appVersion, osVersion and deviceModel from there.
 */
export function nativeDeviceMetadata(
  channelId: string,
  device: { platform: string; appVersion: string; osVersion?: string; deviceModel?: string },
) {
  return {
    source: 'native',
    channelId,
    platform: device.platform,
    appVersion: device.appVersion,
    osVersion: device.osVersion ?? null,
    deviceModel: device.deviceModel ?? null,
  };
}

export function deviceEvent(event: NewDeviceEvent): DeviceEvent {
  return {
    id: event.id ?? newId('event'),
    type: event.type,
    appId: event.appId,
    deviceId: event.deviceId,
    releaseId: event.releaseId ?? null,
    bundleVersion: event.bundleVersion ?? null,
    errorCode: event.errorCode ?? null,
    errorMessage: event.errorMessage ?? null,
    metadata: event.metadata ?? null,
    timestamp: event.timestamp ?? Date.now(),
  };
}

/**
 * Queues refuse a message over 128 KB (and the send fails after the device got its 202): the
 * events of one request go as messages of at most this many bytes of JSON. 500 native events
 * with their device facts are ~200 KB, so a full request makes two or three messages.
 */
export const MAX_MESSAGE_BYTES = 100_000;

const encoder = new TextEncoder();

/** Splits events into messages of at most MAX_MESSAGE_BYTES (an oversized event goes alone). */
export function toTelemetryMessages(events: readonly DeviceEvent[]): TelemetryMessage[] {
  const messages: TelemetryMessage[] = [];
  let current: DeviceEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = encoder.encode(JSON.stringify(event)).length + 1;
    if (current.length > 0 && bytes + size > MAX_MESSAGE_BYTES) {
      messages.push({ events: current });
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) messages.push({ events: current });
  return messages;
}

function send(queue: Queue, events: DeviceEvent[]): Promise<unknown> {
  const sends = toTelemetryMessages(events).map((message) =>
    queue.send(message, { contentType: 'json' }),
  );
  // Logged, not retried: a retry would hold the request's isolate; the count is what is lost.
  return Promise.all(sends).catch((error: unknown) =>
    logger.error('Telemetry send failed', { events: events.length, error }),
  );
}

/**
 * Puts events on the telemetry queue after the response: device-facing endpoints never write
 * D1 and never wait for the queue.
 */
export function enqueueTelemetry(
  queue: Queue,
  events: NewDeviceEvent[],
  waitUntil: (work: Promise<unknown>) => void,
): void {
  if (events.length === 0) return;
  waitUntil(send(queue, events.map(deviceEvent)));
}

/** Check events wait in the isolate for at most this long, or this many, then go as one message. */
export const CHECK_EVENT_FLUSH_MS = 1_000;
export const CHECK_EVENT_BATCH = 100;

// One buffer per isolate (module state): requests of the isolate share it, whichever of them
// flushes it sends it on its own binding of the same queue.
const buffered: { events: DeviceEvent[]; since: number } = { events: [], since: 0 };

/**
 * Update-check events, which every launch makes, go to the queue in batches: one message per
 * CHECK_EVENT_BATCH checks or per CHECK_EVENT_FLUSH_MS, whichever comes first, sent from the
 * waitUntil of the request that fills or ages the batch. A queue send per check would cost more
 * than the check itself (docs/benchmarks.md). The price: an isolate that goes idle keeps its
 * last second of check events until its next request, and loses them if it is evicted first.
 * Reports (downloads, installs, failures) are few and matter more; they are sent at once.
 */
export function bufferCheckEvent(
  queue: Queue,
  event: NewDeviceEvent,
  waitUntil: (work: Promise<unknown>) => void,
  now = Date.now(),
): void {
  if (buffered.events.length === 0) buffered.since = now;
  buffered.events.push(deviceEvent(event));
  if (buffered.events.length >= CHECK_EVENT_BATCH || now - buffered.since >= CHECK_EVENT_FLUSH_MS) {
    const events = buffered.events;
    buffered.events = [];
    waitUntil(send(queue, events));
  }
}
