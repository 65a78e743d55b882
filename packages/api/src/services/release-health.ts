import {
  HEALTH_BREAKDOWN_TOP,
  HEALTH_DAILY_DAYS,
  HEALTH_HOURLY_HOURS,
  type HealthBreakdownJson,
  type ReleaseHealthJson,
} from '@skypatch/protocol';
import { eq, type SQL, sql } from 'drizzle-orm';
import { wilsonLowerBound } from '../core/crash-rate';
import type { Database } from '../db';
import { type Release, releaseStats } from '../db/schema';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

// Integers as literals, never parameters: D1 binds JS numbers as REAL, which would turn the
// bucket arithmetic into exact division and LIMIT into a type error. All are our constants.
const int = (value: number) => sql.raw(String(Math.trunc(value)));

/** Where a dimension's value comes from, in the registry (`d`) and in a raw event (`e`). */
const DIMENSIONS = {
  appVersion: {
    device: sql.raw(`nullif(d.app_version, '')`),
    // Native and CodePush events carry appVersion; Shorebird's releaseVersion is the binary's.
    event: sql.raw(`coalesce(nullif(json_extract(e.metadata, '$.appVersion'), ''),
      nullif(json_extract(e.metadata, '$.releaseVersion'), ''), nullif(d.app_version, ''))`),
  },
  osVersion: {
    device: sql.raw('d.os_version'),
    event: sql.raw(`coalesce(json_extract(e.metadata, '$.osVersion'), d.os_version)`),
  },
  deviceModel: {
    device: sql.raw('d.device_model'),
    event: sql.raw(`coalesce(json_extract(e.metadata, '$.deviceModel'), d.device_model)`),
  },
} as const;
type Dimension = keyof typeof DIMENSIONS;

interface BucketRow {
  bucket: number;
  installs: number;
  crashes: number;
  devices: number;
}

/**
 * Events of the release since `since`, per bucket of `widthMs` (seed 004's time series:
 * GROUP BY the truncated time, COUNT(DISTINCT device)). The range is a scan of
 * telemetry_release_timestamp_idx, (release_id, timestamp).
 */
function bucketsQuery(release: Release, since: number, widthMs: number): SQL {
  const width = int(widthMs);
  return sql`
    SELECT (e.timestamp / ${width}) * ${width} AS bucket,
      sum(e.event_type = 'update_installed') AS installs, sum(e.event_type = 'crash') AS crashes,
      count(DISTINCT e.device_id) AS devices
    FROM telemetry_events e
    WHERE e.release_id = ${release.id} AND e.app_id = ${release.appId}
      AND e.timestamp >= ${int(since)}
    GROUP BY bucket ORDER BY bucket`;
}

interface RankedRow {
  value: string | null;
  count: number;
  rank: number;
  groups: number;
  total: number;
}

/**
 * The bounded breakdown of one ranked grouping (seed 004's "top referrers": GROUP BY value
 * ORDER BY count DESC LIMIT n), with the totals taken over every group by window functions
 * before the limit, so `other` needs no second query.
 */
function toBreakdown(rows: readonly RankedRow[]): HealthBreakdownJson {
  const top = rows
    .filter((row) => row.rank <= HEALTH_BREAKDOWN_TOP && row.count > 0)
    .sort((a, b) => a.rank - b.rank)
    .map((row) => ({ value: row.value === null ? null : String(row.value), count: row.count }));
  const total = rows[0]?.total ?? 0;
  const listed = top.reduce((sum, row) => sum + row.count, 0);
  return { top, other: total - listed, distinctValues: rows[0]?.groups ?? 0 };
}

/** Devices on the release now, by one dimension: devices_release_idx, one group per value. */
function activeQuery(release: Release, value: SQL): SQL {
  return sql`
    SELECT value, n AS count, rank, groups, total FROM (
      SELECT value, n, count(*) OVER () AS groups, sum(n) OVER () AS total,
        row_number() OVER (ORDER BY n DESC, value) AS rank
      FROM (SELECT ${value} AS value, count(*) AS n FROM devices d
        WHERE d.current_release_id = ${release.id} AND d.app_id = ${release.appId}
        GROUP BY value))
    WHERE rank <= ${int(HEALTH_BREAKDOWN_TOP)}`;
}

interface EventRankRow {
  value: string | null;
  installs: number;
  crashes: number;
  installRank: number;
  crashRank: number;
  installGroups: number;
  crashGroups: number;
  totalInstalls: number;
  totalCrashes: number;
}

/**
 * Installs and crashes of the release since `since`, by one dimension, in one statement: the
 * value each event carried then (its metadata), else the device's stored one (a primary-key
 * lookup in devices). Two rankings over the same groups; at most 2 × top rows come back.
 */
function eventsQuery(release: Release, value: SQL, since: number): SQL {
  const top = int(HEALTH_BREAKDOWN_TOP);
  return sql`
    SELECT * FROM (
      SELECT value, installs, crashes,
        row_number() OVER (ORDER BY installs DESC, value) AS installRank,
        row_number() OVER (ORDER BY crashes DESC, value) AS crashRank,
        sum(installs > 0) OVER () AS installGroups, sum(crashes > 0) OVER () AS crashGroups,
        sum(installs) OVER () AS totalInstalls, sum(crashes) OVER () AS totalCrashes
      FROM (
        SELECT ${value} AS value, sum(e.event_type = 'update_installed') AS installs,
          sum(e.event_type = 'crash') AS crashes
        FROM telemetry_events e LEFT JOIN devices d ON d.app_id = e.app_id AND d.id = e.device_id
        WHERE e.release_id = ${release.id} AND e.app_id = ${release.appId}
          AND e.timestamp >= ${int(since)} AND e.event_type IN ('update_installed', 'crash')
        GROUP BY value))
    WHERE installRank <= ${top} OR crashRank <= ${top}`;
}

function toEventBreakdowns(rows: readonly EventRankRow[]) {
  const ranked = (pick: 'installs' | 'crashes'): RankedRow[] =>
    rows.map((row) => ({
      value: row.value,
      count: row[pick],
      rank: pick === 'installs' ? row.installRank : row.crashRank,
      groups: pick === 'installs' ? row.installGroups : row.crashGroups,
      total: pick === 'installs' ? row.totalInstalls : row.totalCrashes,
    }));
  return { installs: toBreakdown(ranked('installs')), crashes: toBreakdown(ranked('crashes')) };
}

async function dimension(db: Database, release: Release, name: Dimension, since: number) {
  const [active, events] = await Promise.all([
    db.all<RankedRow>(activeQuery(release, DIMENSIONS[name].device)),
    db.all<EventRankRow>(eventsQuery(release, DIMENSIONS[name].event, since)),
  ]);
  return { activeDevices: toBreakdown(active), ...toEventBreakdowns(events) };
}

/** The windows of the buckets: whole hours and days, the oldest starting on its boundary. */
function windows(now: number) {
  return {
    sinceHour: Math.floor(now / HOUR_MS) * HOUR_MS - (HEALTH_HOURLY_HOURS - 1) * HOUR_MS,
    sinceDay: Math.floor(now / DAY_MS) * DAY_MS - (HEALTH_DAILY_DAYS - 1) * DAY_MS,
  };
}

/** Every raw-SQL read of the health view, for the query-plan test (EXPLAIN QUERY PLAN). */
export function healthQueries(release: Release, now = Date.now()): SQL[] {
  const { sinceHour, sinceDay } = windows(now);
  return [
    bucketsQuery(release, sinceHour, HOUR_MS),
    bucketsQuery(release, sinceDay, DAY_MS),
    ...Object.values(DIMENSIONS).flatMap((dim) => [
      activeQuery(release, dim.device),
      eventsQuery(release, dim.event, sinceDay),
    ]),
  ];
}

const bucketJson = (row: BucketRow) => ({
  installs: row.installs,
  crashes: row.crashes,
  devices: row.devices,
});

/**
 * A release's health: release_stats' totals (all time), the devices on it now, the crash rate
 * and its Wilson lower bound (the number the auto-rollback judges), hourly and daily buckets,
 * and the breakdowns. Buckets and event breakdowns read the raw events, so they reach back as
 * far as retention keeps them (TELEMETRY_RETENTION_DAYS). Nine reads, all in parallel.
 */
export async function readReleaseHealth(
  db: Database,
  release: Release,
  now = Date.now(),
): Promise<ReleaseHealthJson> {
  const { sinceHour, sinceDay } = windows(now);
  const [[stats], hours, days, appVersion, osVersion, deviceModel] = await Promise.all([
    db.select().from(releaseStats).where(eq(releaseStats.releaseId, release.id)),
    db.all<BucketRow>(bucketsQuery(release, sinceHour, HOUR_MS)),
    db.all<BucketRow>(bucketsQuery(release, sinceDay, DAY_MS)),
    dimension(db, release, 'appVersion', sinceDay),
    dimension(db, release, 'osVersion', sinceDay),
    dimension(db, release, 'deviceModel', sinceDay),
  ]);
  const installs = stats?.totalInstalls ?? 0;
  const crashes = Math.min(stats?.totalCrashes ?? 0, installs);
  const active = appVersion.activeDevices;
  return {
    releaseId: release.id,
    status: release.status,
    totals: {
      downloads: stats?.totalDownloads ?? 0,
      installs,
      failures: stats?.totalFailures ?? 0,
      rollbacks: stats?.totalRollbacks ?? 0,
      crashes: stats?.totalCrashes ?? 0,
    },
    // Every active device is in exactly one app-version group.
    activeDevices: active.top.reduce((sum, row) => sum + row.count, 0) + active.other,
    crashRate: installs > 0 ? crashes / installs : 0,
    crashRateLowerBound: wilsonLowerBound(crashes, installs),
    adoption: hours.map((row) => ({
      hour: new Date(row.bucket).toISOString(),
      ...bucketJson(row),
    })),
    adoptionDaily: days.map((row) => ({
      day: new Date(row.bucket).toISOString().slice(0, 10),
      ...bucketJson(row),
    })),
    breakdown: { appVersion, osVersion, deviceModel },
  };
}
