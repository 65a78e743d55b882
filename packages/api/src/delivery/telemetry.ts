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
