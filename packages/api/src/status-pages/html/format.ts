import type { ComponentStatus, IncidentImpact, IncidentUpdateV2 } from '@skypatch/protocol';
import { updateLabel } from '../../core/status-rules';

// Words and dates as the HTML page and the feeds show them (spec §3.4, §5.4, §6.3). The v2
// objects carry ISO timestamps in the page's zone; Date.parse reads their offset, and Intl
// renders them back in the page's zone.

export const COMPONENT_STATUS_TEXT: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded Performance',
  partial_outage: 'Partial Outage',
  major_outage: 'Major Outage',
  under_maintenance: 'Under Maintenance',
};

/** Impact in words, so that it is never told by colour alone (GOV.UK's fix, §6.3). */
export const IMPACT_TEXT: Record<IncidentImpact, string> = {
  none: 'No impact',
  minor: 'Minor incident',
  major: 'Major incident',
  critical: 'Critical incident',
  maintenance: 'Maintenance',
};

/**
 * The label of each update, newest first (§3.4): its title-case status, or "Update" when the
 * status is the same as the update before it (the next one in the list).
 */
export function updateLabels(updates: readonly Pick<IncidentUpdateV2, 'status'>[]): string[] {
  return updates.map((update, i) => updateLabel(update.status, updates[i + 1]?.status ?? null));
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string, options: Intl.DateTimeFormatOptions) {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', { timeZone, ...options });
    formatters.set(key, found);
  }
  return found;
}

function parts(instant: string | Date, timeZone: string) {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  const all = formatter(timeZone, {
    month: 'short',
    day: 'numeric',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(date);
  const get = (type: Intl.DateTimeFormatPartTypes) => all.find((p) => p.type === type)?.value ?? '';
  return {
    month: get('month'),
    day: get('day'),
    year: get('year'),
    time: `${get('hour')}:${get('minute')}`,
    zone: get('timeZoneName'),
  };
}

/** The pieces of "Jan 12, 16:04 UTC" (§3.4), which the feeds wrap in `<var>` elements. */
export function shortDateTimeParts(instant: string | Date, timeZone: string) {
  const { month, day, time, zone } = parts(instant, timeZone);
  return { month, day, time, zone };
}

/** "Jan 12, 16:04 UTC" in the page's time zone (§3.4). */
export function formatShortDateTime(instant: string | Date, timeZone: string): string {
  const { month, day, time, zone } = parts(instant, timeZone);
  return `${month} ${day}, ${time} ${zone}`;
}

/** "15 Jan 2026": GOV.UK's date style for headings (§6.3). */
export function formatLongDate(instant: string | Date, timeZone: string): string {
  const { month, day, year } = parts(instant, timeZone);
  return `${day} ${month} ${year}`;
}

/** "15 Jan 2026" for a plain `YYYY-MM-DD` calendar date. */
export function formatCalendarDate(date: string): string {
  return formatLongDate(`${date}T12:00:00Z`, 'Etc/UTC');
}

/**
 * A maintenance window, "Feb 1, 00:00 - 01:00 UTC", or with both dates when it spans
 * midnight: "Jan 19, 22:00 - Jan 20, 00:00 EST".
 */
export function formatWindow(from: string, until: string, timeZone: string): string {
  const start = parts(from, timeZone);
  const end = parts(until, timeZone);
  const sameDay = start.month === end.month && start.day === end.day && start.year === end.year;
  const endText = sameDay ? end.time : `${end.month} ${end.day}, ${end.time}`;
  return `${start.month} ${start.day}, ${start.time} - ${endText} ${end.zone}`;
}
