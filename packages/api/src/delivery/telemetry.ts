import { z } from 'zod';
import { TELEMETRY_EVENT_TYPES, type TelemetryEventType } from '../db/schema';
import { newId } from '../lib/ids';

export type { TelemetryEventType };

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
        type: z.enum(TELEMETRY_EVENT_TYPES),
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
 * Puts events on the telemetry queue after the response: device-facing endpoints never write
 * D1 and never wait for the queue. A failed send is logged by the runtime, not retried: losing
 * a check event costs a counter, retrying would cost the device's latency.
 */
export function enqueueTelemetry(
  queue: Queue,
  events: NewDeviceEvent[],
  waitUntil: (work: Promise<unknown>) => void,
): void {
  if (events.length === 0) return;
  const message: TelemetryMessage = { events: events.map(deviceEvent) };
  waitUntil(queue.send(message, { contentType: 'json' }).catch(() => {}));
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
    const message: TelemetryMessage = { events: buffered.events };
    buffered.events = [];
    waitUntil(queue.send(message, { contentType: 'json' }).catch(() => {}));
  }
}
