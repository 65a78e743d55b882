// Wall-clock readings of an instant in an IANA time zone, through Intl (which knows the DST
// rules). Pure; shared by the uptime bars (core/uptime.ts) and the public timestamps
// (status-pages/time.ts), so both read a zone the same way.

// Building a DateTimeFormat costs far more than using one, and a page needs ~200 readings.
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The cached formatter of `timeZone`; throws a RangeError when the runtime does not know it. */
export function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall clock of `instant` in `timeZone`, as Intl prints it (month to second zero-padded). */
export function dateParts(instant: Date, timeZone: string) {
  const parts = zoneFormatter(timeZone).formatToParts(instant);
  const get = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((part) => part.type === type)?.value ?? '00';
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** The calendar date (`YYYY-MM-DD`) of an instant in a time zone. */
export function zonedDate(instant: Date, timeZone: string): string {
  const parts = dateParts(instant, timeZone);
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** The UTC offset of `timeZone` at an instant, in milliseconds (whole seconds; DST aware). */
export function zoneOffsetMs(instant: Date, timeZone: string): number {
  const wholeSecondMs = Math.floor(instant.getTime() / 1000) * 1000;
  const p = dateParts(new Date(wholeSecondMs), timeZone);
  const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return wall - wholeSecondMs;
}
