import { type NewTelemetryEvent, telemetryEvents } from '../db/schema';
import type { DeviceEvent } from '../delivery/telemetry';
import { BaseService } from './base';

// D1 binds at most 100 parameters per statement; a telemetry row binds 11.
const ROWS_PER_INSERT = 9;

/**
 * The telemetry consumer's side of D1. Today it keeps the raw events (seed 000's
 * telemetry_events), each id once, so a redelivered message inserts nothing twice; device
 * registry and release counters build on the same rows (docs/delivery.md).
 */
export class TelemetryService extends BaseService {
  async record(events: readonly DeviceEvent[]): Promise<void> {
    const rows: NewTelemetryEvent[] = events.map((event) => ({
      id: event.id,
      deviceId: event.deviceId,
      appId: event.appId,
      eventType: event.type,
      releaseId: event.releaseId,
      bundleVersion: event.bundleVersion,
      errorCode: event.errorCode,
      errorMessage: event.errorMessage,
      metadata: event.metadata,
      timestamp: new Date(event.timestamp),
    }));
    const inserts = [];
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      inserts.push(
        this.database
          .insert(telemetryEvents)
          .values(rows.slice(i, i + ROWS_PER_INSERT))
          .onConflictDoNothing(),
      );
    }
    const [first, ...rest] = inserts;
    if (first) await this.database.batch([first, ...rest]);
  }
}
