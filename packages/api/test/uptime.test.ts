import { describe, expect, it } from 'vitest';
import {
  type ComponentUptime,
  componentUptime,
  dayColour,
  dayOutageLines,
  formatDowntime,
  formatUptimePercent,
  groupUptime,
  NO_DATA_COLOUR,
  pageUptime,
  type StatusStretch,
  type UptimeDay,
  uptimePercent,
  windowDates,
  zonedMidnight,
} from '../src/core/uptime';

// shared/specs/statuspage.md §6.2: the four components checked against Statuspage's own
// uptimeData (BB), the group rule, splitting at the page's midnight, and the day colours.

const NOW = new Date('2026-01-15T15:00:00Z');
const NY = 'America/New_York';

function days(count: number, withDowntime: Partial<UptimeDay> = {}): UptimeDay[] {
  return Array.from({ length: count }, (_, i) => ({
    date: `d${i}`,
    hasData: true,
    partialSeconds: 0,
    majorSeconds: 0,
    related: [],
    ...(i === 0 ? withDowntime : {}),
  }));
}

const stretch = (
  status: StatusStretch['status'],
  startedAt: string,
  endedAt: string | null,
): StatusStretch => ({
  componentId: 'cmp',
  status,
  startedAt: new Date(startedAt),
  endedAt: endedAt === null ? null : new Date(endedAt),
});

const dayOf = (uptime: ComponentUptime, date: string) => uptime.days.find((d) => d.date === date);

describe('uptime percentage (BB vectors)', () => {
  it('amkt Reporting APIs: p = 71,733 s over 90 days → 99.72', () => {
    expect(uptimePercent(days(90, { partialSeconds: 71_733 }))).toBe(99.72);
  });

  it('80z3x98tprrb Web Application: m = 10,893 s → 99.85 (floored, rounding gives .86)', () => {
    expect(uptimePercent(days(90, { majorSeconds: 10_893 }))).toBe(99.85);
  });

  it('binarycom Cashier: p = 1,160, m = 15,604 → 99.79', () => {
    expect(uptimePercent(days(90, { partialSeconds: 1_160, majorSeconds: 15_604 }))).toBe(99.79);
  });

  it('6w4r0ttlx5ft Runner: N counts from start_date (67 days) → 99.68, not 99.76', () => {
    // Built from status stretches: start_date 2025-11-10 leaves 67 of the 90 UTC days.
    const uptime = componentUptime(
      [
        stretch('major_outage', '2025-12-01T00:00:00Z', '2025-12-01T04:58:00Z'), // 17,880 s
        stretch('partial_outage', '2025-12-02T10:00:00Z', '2025-12-02T10:09:40Z'), // 580 s
        stretch('major_outage', '2025-10-20T00:00:00Z', '2025-10-21T00:00:00Z'), // before start
      ],
      [],
      { timeZone: 'Etc/UTC', now: NOW, startDate: '2025-11-10' },
    );
    expect(uptime.days.filter((d) => d.hasData)).toHaveLength(67);
    expect(dayOf(uptime, '2025-10-20')).toMatchObject({ hasData: false, majorSeconds: 0 });
    expect(uptime.percent).toBe(99.68);
    const sameDowntimeOver90 = days(90, { partialSeconds: 580, majorSeconds: 17_880 });
    expect(uptimePercent(sameDowntimeOver90)).toBe(99.76);
  });

  it('prints 100.0 when nothing was down, two decimals otherwise', () => {
    expect(formatUptimePercent(uptimePercent(days(90)))).toBe('100.0');
    expect(formatUptimePercent(99.7)).toBe('99.70');
  });
});

describe('group uptime', () => {
  it('averages over the showcased children, floored: 49,956 ÷ 14 → 3,568 (Marketplace 99.98)', () => {
    const child = (partialSeconds: number): ComponentUptime => {
      const d = days(90, { partialSeconds });
      return { days: d, percent: uptimePercent(d) };
    };
    // 13 children with 3,568 s and one with 3,572 s: Σ = 49,956.
    const children = [...Array.from({ length: 13 }, () => child(3_568)), child(3_572)];
    const group = groupUptime(children);
    expect(group?.days[0]).toMatchObject({
      partialSeconds: 3_568,
      majorSeconds: 0,
      partialComponents: 14,
    });
    expect(group?.percent).toBe(99.98);
  });

  it('gives a group a bar only when a child is showcased', () => {
    const uptimes = pageUptime(
      [
        { id: 'g1', group: true, showcase: false, start_date: null, components: ['a', 'b'] },
        { id: 'a', group: false, showcase: true, start_date: null },
        { id: 'b', group: false, showcase: false, start_date: null },
        { id: 'g2', group: true, showcase: false, start_date: null, components: ['c'] },
        { id: 'c', group: false, showcase: false, start_date: null },
      ],
      [{ ...stretch('major_outage', '2026-01-15T10:00:00Z', null), componentId: 'a' }],
      [],
      { timeZone: 'Etc/UTC', now: NOW },
    );
    expect([...uptimes.keys()].sort()).toEqual(['a', 'g1']);
    // Only `a` is showcased, so the group's day equals a's (÷ 1), not half of it.
    expect(dayOf(uptimes.get('g1') as ComponentUptime, '2026-01-15')?.majorSeconds).toBe(18_000);
  });
});

describe('days in the page time zone', () => {
  it('ends the 90-day window today in the page zone', () => {
    // 2026-01-16T03:00Z is still the 15th in New York.
    const dates = windowDates(new Date('2026-01-16T03:00:00Z'), NY);
    expect(dates).toHaveLength(90);
    expect(dates.at(-1)).toBe('2026-01-15');
    expect(dates[0]).toBe('2025-10-18');
  });

  it('splits a stretch crossing New York midnight between the two days', () => {
    const uptime = componentUptime(
      // 23:00 → 01:00 New York time (EST, −05:00).
      [stretch('major_outage', '2026-01-15T04:00:00Z', '2026-01-15T06:00:00Z')],
      [],
      { timeZone: NY, now: NOW, startDate: null },
    );
    expect(dayOf(uptime, '2026-01-14')?.majorSeconds).toBe(3_600);
    expect(dayOf(uptime, '2026-01-15')?.majorSeconds).toBe(3_600);
  });

  it('counts 25 hours on the autumn DST day and 23 on the spring one', () => {
    const autumn = componentUptime(
      [stretch('partial_outage', '2025-11-01T12:00:00Z', '2025-11-04T00:00:00Z')],
      [],
      { timeZone: NY, now: NOW, startDate: null },
    );
    expect(dayOf(autumn, '2025-11-01')?.partialSeconds).toBe(16 * 3_600); // until 04:00Z
    expect(dayOf(autumn, '2025-11-02')?.partialSeconds).toBe(25 * 3_600);
    const spring = componentUptime(
      [stretch('major_outage', '2025-03-08T00:00:00Z', '2025-03-11T00:00:00Z')],
      [],
      { timeZone: NY, now: new Date('2025-03-20T12:00:00Z'), startDate: null },
    );
    expect(dayOf(spring, '2025-03-09')?.majorSeconds).toBe(23 * 3_600);
    expect(zonedMidnight('2025-03-10', NY).toISOString()).toBe('2025-03-10T04:00:00.000Z');
  });

  it('counts an open stretch until now, and not degraded or maintenance time', () => {
    const uptime = componentUptime(
      [
        stretch('degraded_performance', '2026-01-10T00:00:00Z', '2026-01-11T00:00:00Z'),
        stretch('under_maintenance', '2026-01-11T00:00:00Z', '2026-01-12T00:00:00Z'),
        stretch('partial_outage', '2026-01-15T14:00:00Z', null),
      ],
      [],
      { timeZone: 'Etc/UTC', now: NOW, startDate: null },
    );
    expect(uptime.days.reduce((acc, d) => acc + d.majorSeconds, 0)).toBe(0);
    expect(dayOf(uptime, '2026-01-10')?.partialSeconds).toBe(0);
    expect(dayOf(uptime, '2026-01-15')?.partialSeconds).toBe(3_600);
  });

  it('relates an incident to every day it was open on', () => {
    const uptime = componentUptime(
      [],
      [
        {
          componentId: 'cmp',
          id: 'inc1',
          name: 'Elevated API latency',
          startedAt: new Date('2026-01-13T22:00:00Z'),
          endedAt: new Date('2026-01-14T02:00:00Z'),
        },
      ],
      { timeZone: 'Etc/UTC', now: NOW, startDate: null },
    );
    expect(uptime.days.filter((d) => d.related.length > 0).map((d) => d.date)).toEqual([
      '2026-01-13',
      '2026-01-14',
    ]);
  });
});

describe('day colours and tooltips', () => {
  const withMajorMinutes = (minutes: number) => ({
    hasData: true,
    partialSeconds: 0,
    majorSeconds: minutes * 60,
  });

  it('goes green → yellow (20) → orange (≈33) → red (60) with weighted minutes', () => {
    expect(dayColour(withMajorMinutes(0))).toBe('#2fcc66');
    expect(dayColour(withMajorMinutes(20))).toBe('#f1c40f');
    expect(dayColour(withMajorMinutes(33))).toBe('#e67e22');
    expect(dayColour(withMajorMinutes(60))).toBe('#e74c3c');
    expect(dayColour(withMajorMinutes(600))).toBe('#e74c3c');
    // Just above zero it is already a half-and-half green/yellow mix.
    expect(dayColour({ hasData: true, partialSeconds: 0, majorSeconds: 1 })).toBe('#90c83a');
    // 0.3 weight: 66.7 partial minutes weigh 20 minutes.
    expect(dayColour({ hasData: true, partialSeconds: 4_000, majorSeconds: 0 })).toBe('#f1c40f');
    expect(dayColour({ hasData: false, partialSeconds: 0, majorSeconds: 0 })).toBe(NO_DATA_COLOUR);
  });

  it('writes the tooltip text', () => {
    expect(formatDowntime(3_720)).toBe('1 hr 2 mins');
    expect(formatDowntime(7_200)).toBe('2 hrs');
    expect(formatDowntime(30)).toBe('1 min');
    const day = { date: '2026-01-15', hasData: true, related: [] };
    expect(dayOutageLines({ ...day, partialSeconds: 0, majorSeconds: 3_720 })).toEqual([
      'Major outage 1 hr 2 mins',
    ]);
    expect(dayOutageLines({ ...day, partialSeconds: 1_140, majorSeconds: 0 })).toEqual([
      'Partial outage 19 mins',
    ]);
    expect(dayOutageLines({ ...day, partialSeconds: 0, majorSeconds: 0 })).toEqual([
      'No downtime recorded on this day.',
    ]);
    expect(dayOutageLines({ ...day, hasData: false, partialSeconds: 0, majorSeconds: 0 })).toEqual([
      'No data exists for this day.',
    ]);
  });
});
