// Statuspage renders every public timestamp in the page's time zone with a numeric offset and
// exactly three fraction digits (spec §1.4): `2019-02-20T12:00:19.418-06:00`, or `…Z` at a zero
// offset. Consumers parse with fixed patterns (AREZ uses `%S.%f%z`), so the shape never varies.

import { zoneFormatter, zoneOffsetMs } from '../core/zoned-time';

/** What a page whose stored zone is unknown to this runtime falls back to, rather than a 500. */
export const FALLBACK_TIME_ZONE = 'Etc/UTC';

/** Whether the runtime knows `timeZone` (an IANA name such as America/New_York). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    zoneFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone a page's timestamps are rendered in: its own, or Etc/UTC when the runtime lacks it. */
export function effectiveTimeZone(timeZone: string | null | undefined): string {
  return timeZone && isValidTimeZone(timeZone) ? timeZone : FALLBACK_TIME_ZONE;
}

/** The zone's offset from UTC at `date`, in whole minutes (DST aware: Intl knows the rules). */
export function zoneOffsetMinutes(date: Date, timeZone: string): number {
  // Rounded: a few zones had second-precision offsets before 1900 (local mean time); ISO 8601
  // offsets carry minutes, and the local time below is derived from the rounded offset.
  return Math.round(zoneOffsetMs(date, timeZone) / 60_000);
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `YYYY-MM-DDTHH:MM:SS.mmm±HH:MM` (or `Z`) for `date` as seen in `timeZone`. */
export function formatTimestamp(date: Date, timeZone: string): string {
  const offset = zoneOffsetMinutes(date, timeZone);
  const local = new Date(date.getTime() + offset * 60_000);
  const clock =
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
    `.${pad(local.getUTCMilliseconds(), 3)}`;
  if (offset === 0) return `${clock}Z`;
  const sign = offset > 0 ? '+' : '-';
  const magnitude = Math.abs(offset);
  return `${clock}${sign}${pad(Math.floor(magnitude / 60))}:${pad(magnitude % 60)}`;
}

export function formatTimestampOrNull(date: Date | null | undefined, timeZone: string) {
  return date ? formatTimestamp(date, timeZone) : null;
}

/** The calendar date (`YYYY-MM-DD`) of `date` in `timeZone`. */
export function calendarDate(date: Date, timeZone: string): string {
  return formatTimestamp(date, timeZone).slice(0, 10);
}
