import { describe, expect, it } from 'vitest';
import {
  calendarDate,
  effectiveTimeZone,
  formatTimestamp,
  zoneOffsetMinutes,
} from '../src/status-pages/time';

// Spec §1.4: millisecond ISO 8601 in the page's zone, `Z` at zero offset, DST aware.

const at = (iso: string) => new Date(iso);

describe('formatTimestamp', () => {
  it.each([
    // America/New_York: EST → EDT on 2026-03-08 at 02:00 local (07:00Z).
    ['America/New_York', '2026-03-08T06:59:59.999Z', '2026-03-08T01:59:59.999-05:00'],
    ['America/New_York', '2026-03-08T07:00:00.000Z', '2026-03-08T03:00:00.000-04:00'],
    // EDT → EST on 2026-11-01: 01:30 local happens twice.
    ['America/New_York', '2026-11-01T05:30:00.000Z', '2026-11-01T01:30:00.000-04:00'],
    ['America/New_York', '2026-11-01T06:30:00.000Z', '2026-11-01T01:30:00.000-05:00'],
    // Europe/London: GMT (Z) → BST on 2026-03-29 at 01:00Z.
    ['Europe/London', '2026-03-29T00:59:59.000Z', '2026-03-29T00:59:59.000Z'],
    ['Europe/London', '2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000+01:00'],
    // Asia/Kolkata: a half-hour offset, and the date rolls over before UTC's.
    ['Asia/Kolkata', '2026-01-15T18:45:00.007Z', '2026-01-16T00:15:00.007+05:30'],
    ['Etc/UTC', '2026-01-15T15:00:00.000Z', '2026-01-15T15:00:00.000Z'],
    // §7's fixture: an EDT creation time and an EST incident time on one page.
    ['America/New_York', '2025-06-01T12:03:00.000Z', '2025-06-01T08:03:00.000-04:00'],
    ['America/New_York', '2026-01-15T14:32:00.000Z', '2026-01-15T09:32:00.000-05:00'],
  ])('%s %s → %s', (zone, instant, expected) => {
    expect(formatTimestamp(at(instant), zone)).toBe(expected);
  });

  it('always writes three fraction digits, even for whole seconds', () => {
    expect(formatTimestamp(at('2019-02-20T18:00:19Z'), 'America/Chicago')).toBe(
      '2019-02-20T12:00:19.000-06:00',
    );
  });

  it('round-trips: the string parses back to the same instant', () => {
    for (const zone of ['America/New_York', 'Europe/London', 'Asia/Kolkata', 'Etc/UTC']) {
      for (let day = 0; day < 365; day += 7) {
        const instant = new Date(Date.UTC(2026, 0, 1) + day * 86_400_000 + 12_345_678);
        expect(new Date(formatTimestamp(instant, zone)).getTime(), zone).toBe(instant.getTime());
      }
    }
  });
});

describe('zoneOffsetMinutes', () => {
  it('follows DST in both hemispheres', () => {
    expect(zoneOffsetMinutes(at('2026-01-15T12:00:00Z'), 'America/New_York')).toBe(-300);
    expect(zoneOffsetMinutes(at('2026-07-15T12:00:00Z'), 'America/New_York')).toBe(-240);
    expect(zoneOffsetMinutes(at('2026-01-15T12:00:00Z'), 'Australia/Sydney')).toBe(660);
    expect(zoneOffsetMinutes(at('2026-07-15T12:00:00Z'), 'Australia/Sydney')).toBe(600);
  });
});

describe('calendarDate', () => {
  it('is the date in the zone, not in UTC', () => {
    expect(calendarDate(at('2026-01-16T03:00:00Z'), 'America/New_York')).toBe('2026-01-15');
    expect(calendarDate(at('2026-01-15T20:00:00Z'), 'Asia/Kolkata')).toBe('2026-01-16');
    expect(calendarDate(at('2026-01-15T23:59:59.999Z'), 'Etc/UTC')).toBe('2026-01-15');
  });
});

describe('effectiveTimeZone', () => {
  it('keeps a known zone and falls back to Etc/UTC for an unknown one', () => {
    expect(effectiveTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(effectiveTimeZone('Mars/Olympus_Mons')).toBe('Etc/UTC');
    expect(effectiveTimeZone(null)).toBe('Etc/UTC');
  });
});
