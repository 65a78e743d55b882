import { type SQL, sql } from 'drizzle-orm';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import type { DeviceEvent } from '../delivery/telemetry';
import { BaseService } from './base';

/**
 * The raw rows go in as one JSON array per statement, unpacked by json_each: D1 binds at most
 * 100 parameters per statement (8 rows of 12 columns), which made 100,000 events 12,500
 * statements; this way they are ~100, far inside a Worker's per-invocation query budget.
 * A chunk stays under D1's 2 MB limit on one bound value.
 */
export const EVENTS_PER_INSERT = 1_000;
export const INSERT_JSON_CHARS = 900_000;

const insertEvents = (createdAt: number) => `
INSERT INTO telemetry_events (id, device_id, app_id, event_type, release_id, bundle_version,
  error_code, error_message, metadata, timestamp, created_at, ingest_batch)
SELECT json_extract(value, '$.id'), json_extract(value, '$.deviceId'),
  json_extract(value, '$.appId'), json_extract(value, '$.type'),
  json_extract(value, '$.releaseId'), json_extract(value, '$.bundleVersion'),
  json_extract(value, '$.errorCode'), json_extract(value, '$.errorMessage'),
  json_extract(value, '$.metadata'), json_extract(value, '$.timestamp'), ${Math.trunc(createdAt)}, ?2
FROM json_each(?1) WHERE true
ON CONFLICT (id) DO NOTHING`;

/** Splits the events into JSON arrays of at most EVENTS_PER_INSERT and INSERT_JSON_CHARS. */
function insertChunks(events: readonly DeviceEvent[]): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let chars = 0;
  for (const event of events) {
    const json = JSON.stringify(event);
    if (
      current.length >= EVENTS_PER_INSERT ||
      (current.length > 0 && chars + json.length > INSERT_JSON_CHARS)
    ) {
      chunks.push(`[${current.join(',')}]`);
      current = [];
      chars = 0;
    }
    current.push(json);
    chars += json.length + 1;
  }
  if (current.length > 0) chunks.push(`[${current.join(',')}]`);
  return chunks;
}

const dialect = new SQLiteAsyncDialect();

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
 * current_release_id moves only when the batch has an install or a check of the device newer
 * than the one stored (current_release_at), to the newest one's release (null: the binary), so
 * batches that arrive out of order still leave the device on its latest release. The join on apps drops events of an app that does
 * not exist (devices has a foreign key to apps).
 */
const movesForward = sql.raw(
  'excluded.current_release_at IS NOT NULL AND excluded.current_release_at >= coalesce(devices.current_release_at, 0)',
);

const upsertDevices = (batch: SQL) => sql`
INSERT INTO devices (id, app_id, platform, os_version, device_model, app_version,
  current_release_id, current_release_at, last_seen_at, crash_count, created_at)
SELECT n.device_id, n.app_id,
  CASE WHEN n.platform IN ('ios', 'android') THEN n.platform ELSE a.platform END,
  n.os_version, n.device_model, coalesce(n.app_version, n.release_version, ''),
  CASE WHEN n.moved THEN n.position END, CASE WHEN n.moved THEN n.position_at END,
  n.last_seen_at, n.crashes, n.created_at
FROM (
  SELECT e.device_id, e.app_id, e.created_at,
    row_number() OVER (PARTITION BY e.app_id, e.device_id
      ORDER BY e.timestamp DESC, e.id DESC) AS rank,
    max(e.timestamp) OVER device AS last_seen_at,
    sum(e.event_type = 'crash') OVER device AS crashes,
    max(e.event_type IN ${POSITION_TYPES}) OVER device AS moved,
    first_value(e.release_id) OVER newest_position AS position,
    first_value(e.timestamp) OVER newest_position AS position_at,
    ${newestOf('platform')} AS platform,
    ${newestOf('osVersion')} AS os_version,
    ${newestOf('deviceModel')} AS device_model,
    ${newestOf('appVersion')} AS app_version,
    ${newestOf('releaseVersion')} AS release_version
  FROM telemetry_events e
  WHERE e.ingest_batch = ${batch}
  WINDOW device AS (PARTITION BY e.app_id, e.device_id),
    newest_position AS (PARTITION BY e.app_id, e.device_id
      ORDER BY e.event_type IN ${POSITION_TYPES} DESC, e.timestamp DESC, e.id DESC)
) n JOIN apps a ON a.id = n.app_id
WHERE n.rank = 1
ON CONFLICT (app_id, id) DO UPDATE SET
  platform = excluded.platform,
  os_version = coalesce(excluded.os_version, devices.os_version),
  device_model = coalesce(excluded.device_model, devices.device_model),
  app_version = CASE WHEN excluded.app_version = '' THEN devices.app_version
    ELSE excluded.app_version END,
  -- Moves only for an install or check of this batch (current_release_at set) that is newer
  -- than the one stored: a late batch of older events leaves the device where it is.
  current_release_id = CASE WHEN ${movesForward}
    THEN excluded.current_release_id ELSE devices.current_release_id END,
  current_release_at = CASE WHEN ${movesForward}
    THEN excluded.current_release_at ELSE devices.current_release_at END,
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
    // D1's own batch, not Drizzle's: Drizzle's cannot bind parameters of raw SQL, and the
    // inserts bind their JSON. The marker is a UUID minted here, never input.
    const d1 = this.env.DB;
    const prepare = (query: SQL) => {
      const { sql: text, params } = dialect.sqlToQuery(query);
      return d1.prepare(text).bind(...params);
    };
    const marker = sql`${batch}`;
    const statement = insertEvents(Date.now());
    const inserts = insertChunks(events).map((json) => d1.prepare(statement).bind(json, batch));
    const results = await d1.batch([
      ...inserts,
      prepare(bumpReleaseStats(marker)),
      prepare(upsertDevices(marker)),
    ]);
    // D1 bills rows written, index entries included: the log line is what a batch cost.
    const written = (from: number, to?: number) =>
      results.slice(from, to).reduce((sum, result) => sum + (result.meta.rows_written ?? 0), 0);
    this.logger.info('Telemetry batch recorded', {
      events: events.length,
      inserted: results.slice(0, inserts.length).reduce((n, r) => n + (r.meta.changes ?? 0), 0),
      rowsWritten: {
        events: written(0, inserts.length),
        releaseStats: written(inserts.length, inserts.length + 1),
        devices: written(inserts.length + 1),
      },
    });
    const touched = new Set<string>();
    for (const event of events) {
      if (event.releaseId && event.type !== 'update_check') touched.add(event.releaseId);
    }
    return [...touched];
  }
}
