// The 90-day uptime bars of a status page (shared/specs/statuspage.md §6.2), computed from the
// stretches of `component_status_log`. Pure: stretches and a page time zone in, days out.
// Only `partial_outage` (p) and `major_outage` (m) count as downtime, as on Statuspage; degraded
// performance and maintenance do not.

import { zonedDate, zoneOffsetMs } from './zoned-time';

export const UPTIME_WINDOW_DAYS = 90;
const SECONDS_PER_DAY = 86_400;
const DAY_MS = SECONDS_PER_DAY * 1000;

export type StretchStatus =
  | 'operational'
  | 'degraded_performance'
  | 'partial_outage'
  | 'major_outage'
  | 'under_maintenance';

/** One row of component_status_log: a status held from `startedAt` until `endedAt` (null = now). */
export interface StatusStretch {
  componentId: string;
  status: StretchStatus;
  startedAt: Date;
  endedAt: Date | null;
}

/** An incident that touched a component; it is "related" to every day it was open on. */
export interface RelatedEvent {
  componentId: string;
  id: string;
  name: string;
  startedAt: Date;
  endedAt: Date | null;
}

export interface UptimeDay {
  /** The calendar date in the page time zone, `YYYY-MM-DD`. */
  date: string;
  /** False before the component's start_date: grey, "No data exists for this day." */
  hasData: boolean;
  partialSeconds: number;
  majorSeconds: number;
  /** Groups only: how many children had some major / partial outage that day. */
  majorComponents?: number;
  partialComponents?: number;
  related: { id: string; name: string }[];
}

export interface ComponentUptime {
  days: UptimeDay[];
  /** floor₂ of the uptime percentage, e.g. 99.85. */
  percent: number;
}

/** The instant of 00:00 on `date` in `timeZone`. */
export function zonedMidnight(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  const wall = Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1);
  // The offset at the guess can differ from the offset at midnight itself across a DST change.
  const first = wall - zoneOffsetMs(new Date(wall), timeZone);
  return new Date(wall - zoneOffsetMs(new Date(first), timeZone));
}

/** The `count` calendar dates ending with today's date in the zone, oldest first. */
export function windowDates(now: Date, timeZone: string, count = UPTIME_WINDOW_DAYS): string[] {
  const today = zonedDate(now, timeZone);
  const todayUtc = Date.parse(`${today}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) =>
    new Date(todayUtc - (count - 1 - i) * DAY_MS).toISOString().slice(0, 10),
  );
}

export interface UptimeOptions {
  timeZone: string;
  now: Date;
  /** The component's start_date (`YYYY-MM-DD`): days before it have no data. */
  startDate: string | null;
  /** Consecutive calendar dates to cover, oldest first; default the 90 ending today. */
  dates?: readonly string[];
}

/** Per-day downtime and the percentage of one component. */
export function componentUptime(
  stretches: readonly StatusStretch[],
  related: readonly RelatedEvent[],
  options: UptimeOptions,
): ComponentUptime {
  const dates = options.dates ?? windowDates(options.now, options.timeZone);
  const bounds = dayBounds(dates, options);
  const days = dates.map((date, i): UptimeDay => {
    const [start, end] = bounds[i] ?? [0, 0];
    const hasData = options.startDate === null || date >= options.startDate;
    const day: UptimeDay = { date, hasData, partialSeconds: 0, majorSeconds: 0, related: [] };
    if (!hasData) return day;
    for (const stretch of stretches) {
      if (stretch.status !== 'partial_outage' && stretch.status !== 'major_outage') continue;
      const from = Math.max(stretch.startedAt.getTime(), start);
      const to = Math.min((stretch.endedAt ?? options.now).getTime(), end);
      if (to <= from) continue;
      const seconds = Math.floor((to - from) / 1000);
      if (stretch.status === 'major_outage') day.majorSeconds += seconds;
      else day.partialSeconds += seconds;
    }
    day.related = relatedOn(related, start, end, options.now);
    return day;
  });
  return { days, percent: uptimePercent(days) };
}

/**
 * A group's bar: each day's seconds are ⌊Σ children ÷ showcased children⌋, separately for p and
 * m (§6.2: held in all 42 BB checks). `children` are the showcased children's uptimes.
 */
export function groupUptime(children: readonly ComponentUptime[]): ComponentUptime | null {
  const first = children[0];
  if (!first) return null;
  const count = children.length;
  const days = first.days.map((template, i): UptimeDay => {
    const same = children.map((child) => child.days[i]).filter((d) => d !== undefined);
    const sum = (pick: (d: UptimeDay) => number) => same.reduce((acc, d) => acc + pick(d), 0);
    const related = new Map<string, { id: string; name: string }>();
    for (const event of same.flatMap((d) => d.related)) related.set(event.id, event);
    return {
      date: template.date,
      hasData: same.some((d) => d.hasData),
      partialSeconds: Math.floor(sum((d) => d.partialSeconds) / count),
      majorSeconds: Math.floor(sum((d) => d.majorSeconds) / count),
      majorComponents: same.filter((d) => d.majorSeconds > 0).length,
      partialComponents: same.filter((d) => d.partialSeconds > 0).length,
      related: [...related.values()],
    };
  });
  return { days, percent: uptimePercent(days) };
}

/** The parts of a component the bars need (the v2 component object fits). */
export interface UptimeComponent {
  id: string;
  group: boolean;
  showcase: boolean;
  start_date: string | null;
  /** Group containers: the children's ids. */
  components?: string[];
}

/**
 * Bars for every showcased component, and for every group with at least one showcased child
 * (OAS `ComponentGroupUptime`), keyed by component id.
 */
export function pageUptime(
  components: readonly UptimeComponent[],
  stretches: readonly StatusStretch[],
  related: readonly RelatedEvent[],
  options: Omit<UptimeOptions, 'startDate'>,
): Map<string, ComponentUptime> {
  const byId = new Map<string, ComponentUptime>();
  for (const component of components) {
    if (component.group || !component.showcase) continue;
    const own = stretches.filter((s) => s.componentId === component.id);
    const events = related.filter((e) => e.componentId === component.id);
    byId.set(
      component.id,
      componentUptime(own, events, { ...options, startDate: component.start_date }),
    );
  }
  for (const group of components) {
    if (!group.group) continue;
    const children = (group.components ?? [])
      .map((id) => byId.get(id))
      .filter((u) => u !== undefined);
    const uptime = groupUptime(children);
    if (uptime) byId.set(group.id, uptime);
  }
  return byId;
}

/**
 * floor₂(100·(1 − (Σm + 0.3·Σp)/(N·86400))), N = days with data (today counts as a full day).
 * Worked in integers (tenths of seconds, hundredths of a percent) so that 99.85 never floors
 * to 99.84 through a binary fraction.
 */
export function uptimePercent(days: readonly UptimeDay[]): number {
  const withData = days.filter((d) => d.hasData);
  if (withData.length === 0) return 100;
  const weightedTenths = withData.reduce(
    (acc, d) => acc + 10 * d.majorSeconds + 3 * d.partialSeconds,
    0,
  );
  const denominator = withData.length * SECONDS_PER_DAY;
  const lostHundredths = Math.ceil((1000 * weightedTenths) / denominator);
  return Math.max(0, 10_000 - lostHundredths) / 100;
}

/** "99.85", or "100.0" when nothing was down, as Statuspage prints it. */
export function formatUptimePercent(percent: number): string {
  return percent >= 100 ? '100.0' : percent.toFixed(2);
}

const GREEN = '#2fcc66';
const YELLOW = '#f1c40f';
const ORANGE = '#e67e22';
const RED = '#e74c3c';
export const NO_DATA_COLOUR = '#b3bac5';

/**
 * The colour of one day (§6.2, fitted to ~100 BB samples): w = (m + 0.3p)/60 weighted minutes;
 * green at 0, a green–yellow mix from 50 % to full yellow at 20, orange at 33, red from 60.
 */
export function dayColour(day: Pick<UptimeDay, 'hasData' | 'partialSeconds' | 'majorSeconds'>) {
  if (!day.hasData) return NO_DATA_COLOUR;
  const w = (day.majorSeconds + 0.3 * day.partialSeconds) / 60;
  if (w <= 0) return GREEN;
  if (w <= 20) return mix(GREEN, YELLOW, 0.5 + (0.5 * w) / 20);
  if (w <= 33) return mix(YELLOW, ORANGE, (w - 20) / 13);
  if (w < 60) return mix(ORANGE, RED, (w - 33) / 27);
  return RED;
}

function mix(from: string, to: string, share: number): string {
  const channel = (hex: string, at: number) => Number.parseInt(hex.slice(at, at + 2), 16);
  return `#${[1, 3, 5]
    .map((at) => Math.round(channel(from, at) * (1 - share) + channel(to, at) * share))
    .map((value) => value.toString(16).padStart(2, '0'))
    .join('')}`;
}

/** "1 hr 5 mins", "19 mins"; downtime under a minute shows as 1 min (§6.2). */
export function formatDowntime(seconds: number): string {
  const totalMinutes = Math.max(1, Math.floor(seconds / 60));
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  const parts: string[] = [];
  if (hours > 0) parts.push(`${hours} ${hours === 1 ? 'hr' : 'hrs'}`);
  if (minutes > 0 || hours === 0) parts.push(`${minutes} ${minutes === 1 ? 'min' : 'mins'}`);
  return parts.join(' ');
}

/** The tooltip lines of one day, without its date and related incidents. */
export function dayOutageLines(day: UptimeDay): string[] {
  if (!day.hasData) return ['No data exists for this day.'];
  const lines: string[] = [];
  const affected = (count: number | undefined) =>
    count === undefined ? '' : ` (${count} ${count === 1 ? 'component' : 'components'})`;
  if (day.majorSeconds > 0) {
    lines.push(`Major outage ${formatDowntime(day.majorSeconds)}${affected(day.majorComponents)}`);
  }
  if (day.partialSeconds > 0) {
    lines.push(
      `Partial outage ${formatDowntime(day.partialSeconds)}${affected(day.partialComponents)}`,
    );
  }
  return lines.length > 0 ? lines : ['No downtime recorded on this day.'];
}

// The same window serves every component of a page (and every request of the day).
const boundsByWindow = new Map<string, [number, number][]>();

function dayBounds(dates: readonly string[], options: UptimeOptions): [number, number][] {
  const key = `${options.timeZone}|${dates[0]}|${dates.length}`;
  const known = boundsByWindow.get(key);
  if (known) return known;
  const bounds = computeDayBounds(dates, options);
  if (boundsByWindow.size >= 100) boundsByWindow.clear();
  boundsByWindow.set(key, bounds);
  return bounds;
}

function computeDayBounds(dates: readonly string[], options: UptimeOptions): [number, number][] {
  const midnights = dates.map((date) => zonedMidnight(date, options.timeZone).getTime());
  const tomorrow = new Date(Date.parse(`${dates.at(-1)}T00:00:00Z`) + DAY_MS);
  const lastEnd = zonedMidnight(tomorrow.toISOString().slice(0, 10), options.timeZone).getTime();
  return midnights.map((start, i) => [start, midnights[i + 1] ?? lastEnd]);
}

function relatedOn(events: readonly RelatedEvent[], start: number, end: number, now: Date) {
  const seen = new Map<string, { id: string; name: string }>();
  for (const event of events) {
    const to = (event.endedAt ?? now).getTime();
    if (event.startedAt.getTime() < end && to >= start) {
      seen.set(event.id, { id: event.id, name: event.name });
    }
  }
  return [...seen.values()];
}
