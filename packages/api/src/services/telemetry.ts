import { type SQL, sql } from 'drizzle-orm';
import { type NewTelemetryEvent, telemetryEvents } from '../db/schema';
import type { DeviceEvent } from '../delivery/telemetry';
import { BaseService } from './base';

// D1 binds at most 100 parameters per statement; a telemetry row binds 12.
const ROWS_PER_INSERT = 8;

// The event types that say which release a device runs now (devices.current_release_id).
const POSITION_TYPES = sql.raw(`('update_installed', 'update_check')`);

/**
 * release_stats gets the counts of the rows this batch inserted, one row per release, in one
 * statement for every release and counter. The join keeps only releases that exist and belong
 * to the event's app (release_stats has a foreign key to releases; an id the intake could not
 * check counts nowhere).
 */
const bumpReleaseStats = (batch: SQL) => sql`
INSERT INTO release_stats (release_id, total_downloads, total_installs, total_failures,
  total_rollbacks, total_crashes, last_updated_at)
SELECT e.release_id,
  sum(e.event_type = 'update_downloaded'), sum(e.event_type = 'update_installed'),
  sum(e.event_type = 'update_failed'), sum(e.event_type = 'rollback'),
  sum(e.event_type = 'crash'), max(e.created_at)
FROM telemetry_events e JOIN releases r ON r.id = e.release_id AND r.app_id = e.app_id
WHERE e.ingest_batch = ${batch} AND e.event_type <> 'update_check'
GROUP BY e.release_id
ON CONFLICT (release_id) DO UPDATE SET
  total_downloads = coalesce(total_downloads, 0) + excluded.total_downloads,
  total_installs = coalesce(total_installs, 0) + excluded.total_installs,
  total_failures = coalesce(total_failures, 0) + excluded.total_failures,
  total_rollbacks = coalesce(total_rollbacks, 0) + excluded.total_rollbacks,
  total_crashes = coalesce(total_crashes, 0) + excluded.total_crashes,
  last_updated_at = excluded.last_updated_at`;

// The newest non-null value of a metadata field among a device's new rows (nulls sort last).
const newestOf = (field: string) =>
  sql.raw(`first_value(json_extract(e.metadata, '$.${field}')) OVER (PARTITION BY e.app_id,
    e.device_id ORDER BY json_extract(e.metadata, '$.${field}') IS NULL, e.timestamp DESC, e.id DESC)`);

/**
 * One devices row per (app, device) of the batch's new rows. Platform, OS version, model and
 * app version are each the newest value the batch's events of the device carry in their
 * metadata (native events carry all of them; CodePush and Shorebird ones may lack the
 * platform, which then is the app's). A field no new event carries keeps its stored value; an
 * unknown app version is stored as '' on a new row (the column is NOT NULL).
 * current_release_id moves only when the batch has an install or a check of the device, to the
 * newest one's release (null: the binary). The join on apps drops events of an app that does
 * not exist (devices has a foreign key to apps).
 */
const upsertDevices = (batch: SQL) => sql`
INSERT INTO devices (id, app_id, platform, os_version, device_model, app_version,
  current_release_id, last_seen_at, crash_count, created_at)
SELECT n.device_id, n.app_id,
  CASE WHEN n.platform IN ('ios', 'android') THEN n.platform ELSE a.platform END,
  n.os_version, n.device_model, coalesce(n.app_version, n.release_version, ''),
  (SELECT p.release_id FROM telemetry_events p
    WHERE p.ingest_batch = ${batch} AND p.app_id = n.app_id AND p.device_id = n.device_id
      AND p.event_type IN ${POSITION_TYPES}
    ORDER BY p.timestamp DESC, p.id DESC LIMIT 1),
  n.last_seen_at, n.crashes, n.created_at
FROM (
  SELECT e.device_id, e.app_id, e.created_at,
    row_number() OVER (PARTITION BY e.app_id, e.device_id
      ORDER BY e.timestamp DESC, e.id DESC) AS rank,
    max(e.timestamp) OVER device AS last_seen_at,
    sum(e.event_type = 'crash') OVER device AS crashes,
    ${newestOf('platform')} AS platform,
    ${newestOf('osVersion')} AS os_version,
    ${newestOf('deviceModel')} AS device_model,
    ${newestOf('appVersion')} AS app_version,
    ${newestOf('releaseVersion')} AS release_version
  FROM telemetry_events e
  WHERE e.ingest_batch = ${batch}
  WINDOW device AS (PARTITION BY e.app_id, e.device_id)
) n JOIN apps a ON a.id = n.app_id
WHERE n.rank = 1
ON CONFLICT (app_id, id) DO UPDATE SET
  platform = excluded.platform,
  os_version = coalesce(excluded.os_version, devices.os_version),
  device_model = coalesce(excluded.device_model, devices.device_model),
  app_version = CASE WHEN excluded.app_version = '' THEN devices.app_version
    ELSE excluded.app_version END,
  current_release_id = CASE WHEN EXISTS (SELECT 1 FROM telemetry_events p
      WHERE p.ingest_batch = ${batch} AND p.app_id = excluded.app_id AND p.device_id = excluded.id
        AND p.event_type IN ${POSITION_TYPES})
    THEN excluded.current_release_id ELSE devices.current_release_id END,
  last_seen_at = max(coalesce(devices.last_seen_at, 0), excluded.last_seen_at),
  crash_count = coalesce(devices.crash_count, 0) + excluded.crash_count`;

/**
 * The telemetry consumer's side of D1, one atomic D1 batch per queue batch: the raw events
 * (seed 000's telemetry_events, each id once) marked with a fresh batch id, then the release
 * counters and the device rows computed from exactly the rows that marker names. A redelivered
 * event hits ON CONFLICT DO NOTHING, keeps its first marker and so counts nothing twice; a
 * failed batch rolls back whole and its retry starts from scratch (docs/delivery.md).
 */
export class TelemetryService extends BaseService {
  /**
   * Returns the releases whose counters the batch may have moved (every release an event
   * other than a check names), for the crash-rate rule. Taken from the events, not from what
   * this delivery inserted, so a retry after a failed evaluation evaluates again.
   */
  async record(events: readonly DeviceEvent[]): Promise<string[]> {
    if (events.length === 0) return [];
    const batch = crypto.randomUUID();
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
      ingestBatch: batch,
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
    if (!first) return [];
    // The marker goes into the aggregate statements as a literal, not a parameter: Drizzle's
    // D1 batch cannot bind parameters of a raw statement (it has no prepared statement to bind
    // to). Safe: it is a UUID minted above, never input.
    const marker = sql.raw(`'${batch}'`);
    await this.database.batch([
      first,
      ...rest,
      this.database.run(bumpReleaseStats(marker)),
      this.database.run(upsertDevices(marker)),
    ]);
    const touched = new Set<string>();
    for (const event of events) {
      if (event.releaseId && event.type !== 'update_check') touched.add(event.releaseId);
    }
    return [...touched];
  }
}
