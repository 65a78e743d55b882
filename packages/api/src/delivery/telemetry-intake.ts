import {
  type TelemetryAcceptedJson,
  type TelemetryBody,
  TelemetryEventInput,
  type TelemetryIssueJson,
} from '@skypatch/protocol';
import type { z } from 'zod';
import { sha256Hex } from '../lib/crypto';
import { type NewDeviceEvent, nativeDeviceMetadata } from './telemetry';
import type { ChannelView } from './view';

/** Events stamped further ahead than this are refused: a device clock that far off lies. */
export const MAX_FUTURE_SKEW_MS = 60 * 60 * 1000;
/** Events older than this are refused: release health looks at recent installs only. */
export const MAX_EVENT_AGE_MS = 30 * 24 * 60 * 60 * 1000;

export interface TelemetryIntake {
  events: NewDeviceEvent[];
  answer: TelemetryAcceptedJson;
}

const issue = (path: string, message: string): TelemetryIssueJson => ({
  code: 'custom',
  path: [path],
  message,
});

// Named fields only: zod issues may carry the input, which the answer never echoes.
const toIssueJson = (zodIssue: z.core.$ZodIssue): TelemetryIssueJson => ({
  code: zodIssue.code,
  path: zodIssue.path.map((key) => (typeof key === 'number' ? key : String(key))),
  message: zodIssue.message,
});

/**
 * Splits a native telemetry batch into the events to queue and the ones to report back. Pure
 * apart from hashing: the channel view (cached) is the only thing it knows about the app, so a
 * release id outside the view (another app's, a deleted or unknown one) is refused without a
 * D1 read. The device facts of the envelope go into each event's metadata, where the consumer
 * reads the devices row from.
 */
export async function acceptTelemetry(
  view: ChannelView,
  body: z.output<typeof TelemetryBody>,
  now = Date.now(),
): Promise<TelemetryIntake> {
  const labels = new Map(view.releases.map((release) => [release.id, release.label]));
  const device = nativeDeviceMetadata(view.channelId, body);
  const events: NewDeviceEvent[] = [];
  const clientIds: string[] = [];
  const rejected: TelemetryAcceptedJson['rejected'] = [];
  for (const [index, raw] of body.events.entries()) {
    const parsed = TelemetryEventInput.safeParse(raw);
    if (!parsed.success) {
      rejected.push({ index, issues: parsed.error.issues.map(toIssueJson) });
      continue;
    }
    const event = parsed.data;
    const issues: TelemetryIssueJson[] = [];
    if (event.timestamp > now + MAX_FUTURE_SKEW_MS) {
      issues.push(issue('timestamp', 'more than 1 hour in the future'));
    }
    if (event.timestamp < now - MAX_EVENT_AGE_MS) {
      issues.push(issue('timestamp', 'older than 30 days'));
    }
    if (event.releaseId !== undefined && !labels.has(event.releaseId)) {
      issues.push(issue('releaseId', 'unknown release'));
    }
    if (issues.length > 0) {
      rejected.push({ index, issues });
      continue;
    }
    clientIds.push(event.id);
    events.push({
      type: event.type,
      appId: view.appId,
      deviceId: body.deviceId,
      releaseId: event.releaseId ?? null,
      bundleVersion: event.releaseId ? (labels.get(event.releaseId) ?? null) : null,
      errorCode: event.errorCode ?? null,
      errorMessage: event.errorMessage ?? null,
      // The envelope's facts win over the event's own keys: they are what the devices row shows.
      metadata: { ...event.metadata, ...device },
      timestamp: event.timestamp,
    });
  }
  // Scoped to the app and device: telemetry_events ids are global, and one client's ids must
  // neither collide with nor suppress another's. Hashed all at once: one await, not 500.
  const ids = await Promise.all(
    clientIds.map((id) => sha256Hex(`native|${view.appId}|${body.deviceId}|${id}`)),
  );
  for (const [i, event] of events.entries()) event.id = `evt_${ids[i]}`;
  return { events, answer: { accepted: events.length, rejected } };
}
