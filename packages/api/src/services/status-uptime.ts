import { and, eq, gte, inArray, isNull, lt, ne, or } from 'drizzle-orm';
import { z } from 'zod';
import {
  type ComponentUptime,
  componentUptime,
  groupUptime,
  type StatusStretch,
  UPTIME_WINDOW_DAYS,
  zonedMidnight,
} from '../core/uptime';
import { zonedDate } from '../core/zoned-time';
import {
  type Component,
  componentGroups,
  componentStatusLog,
  components,
  incidentComponents,
  incidents,
} from '../db/schema';
import { AppError } from '../lib/errors';
import { effectiveTimeZone } from '../status-pages/time';
import { relatedIncidentColumns, toRelatedEvent } from '../status-pages/uptime-data';
import type { Actor } from './actor';
import { StatusService } from './status-base';

// `GET …/components/{id}/uptime` and `…/component-groups/{id}/uptime` (spec §6.2, OAS
// `ComponentUptime`): the 90-day bars' numbers over a chosen range of calendar days in the
// page's zone, computed by core/uptime.ts from component_status_log like the public page.

const DAY_MS = 86_400_000;

const CalendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'A date as YYYY-MM-DD')
  .refine((date) => {
    const parsed = new Date(`${date}T00:00:00Z`);
    return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(date);
  }, 'Not a calendar date');

export const UptimeQuery = z.object({
  /** First day of the range; default 89 days before `end`. */
  start: CalendarDate.optional(),
  /** Last day of the range; default today in the page's zone (or start + 89 days if sooner). */
  end: CalendarDate.optional(),
});

export interface UptimeReport {
  id: string;
  name: string;
  range_start: string;
  range_end: string;
  uptime_percentage: number;
  /** Seconds in major_outage over the range (a group's are averaged over its children). */
  major_outage: number;
  partial_outage: number;
  warnings: string[];
  related_events: { name: string; code: string }[];
}

const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
const daysFrom = (start: string, end: string) =>
  Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / DAY_MS);

interface Range {
  dates: string[];
  from: Date;
  until: Date;
  warnings: string[];
}

/** The calendar days to cover, clamped to today and to 90 days, with a warning per clamp. */
export function uptimeRange(
  query: z.output<typeof UptimeQuery>,
  timeZone: string,
  now: Date,
): Range {
  const today = zonedDate(now, timeZone);
  const warnings: string[] = [];
  const last = UPTIME_WINDOW_DAYS - 1;
  let end =
    query.end ??
    (query.start && addDays(query.start, last) < today ? addDays(query.start, last) : today);
  if (end > today) {
    warnings.push(`end ${end} is after today (${today} in ${timeZone}); the range ends today.`);
    end = today;
  }
  let start = query.start ?? addDays(end, -last);
  if (start > end) {
    throw new AppError('BAD_REQUEST', 'start must not be after end (or after today)', {
      start,
      end,
    });
  }
  if (daysFrom(start, end) > last) {
    const clamped = addDays(end, -last);
    warnings.push(
      `The range ${start} to ${end} is longer than ${UPTIME_WINDOW_DAYS} days; it starts at ${clamped}.`,
    );
    start = clamped;
  }
  const dates = Array.from({ length: daysFrom(start, end) + 1 }, (_, i) => addDays(start, i));
  return {
    dates,
    from: zonedMidnight(start, timeZone),
    until: zonedMidnight(addDays(end, 1), timeZone),
    warnings,
  };
}

function report(
  subject: { id: string; name: string },
  range: Range,
  uptime: ComponentUptime,
  warnings: string[],
): UptimeReport {
  const related = new Map<string, string>();
  for (const day of uptime.days) for (const event of day.related) related.set(event.id, event.name);
  return {
    id: subject.id,
    name: subject.name,
    range_start: range.dates[0] ?? '',
    range_end: range.dates.at(-1) ?? '',
    uptime_percentage: uptime.percent,
    major_outage: uptime.days.reduce((sum, day) => sum + day.majorSeconds, 0),
    partial_outage: uptime.days.reduce((sum, day) => sum + day.partialSeconds, 0),
    warnings: [...range.warnings, ...warnings],
    related_events: [...related].map(([code, name]) => ({ name, code })),
  };
}

export class StatusUptimeService extends StatusService {
  async componentUptime(
    actor: Actor,
    pageId: string,
    componentId: string,
    query: z.input<typeof UptimeQuery> = {},
    now = new Date(),
  ): Promise<UptimeReport> {
    const parsed = UptimeQuery.parse(query);
    const page = await this.ownedPage(actor, pageId, 'org.read');
    const [component] = await this.getReadDb('fresh')
      .select()
      .from(components)
      .where(and(eq(components.id, componentId), eq(components.pageId, page.id)))
      .limit(1);
    if (!component) throw new AppError('NOT_FOUND', 'Component not found');
    const timeZone = effectiveTimeZone(page.timezone);
    const range = uptimeRange(parsed, timeZone, now);
    const [uptime] = await this.uptimes([component], range, timeZone, now);
    const warnings =
      component.startDate && component.startDate > (range.dates[0] ?? '')
        ? [
            `Days before the component's start date (${component.startDate}) hold no data and do not count.`,
          ]
        : [];
    if (!uptime) throw new AppError('INTERNAL', 'Uptime not computed');
    return report(component, range, uptime, warnings);
  }

  /**
   * A group's figures: each day's seconds averaged over its showcased children (§6.2), or over
   * all of them, with a warning, when none is showcased.
   */
  async groupUptime(
    actor: Actor,
    pageId: string,
    groupId: string,
    query: z.input<typeof UptimeQuery> = {},
    now = new Date(),
  ): Promise<UptimeReport> {
    const parsed = UptimeQuery.parse(query);
    const page = await this.ownedPage(actor, pageId, 'org.read');
    const db = this.getReadDb('fresh');
    const [[group], children] = await db.batch([
      db
        .select()
        .from(componentGroups)
        .where(and(eq(componentGroups.id, groupId), eq(componentGroups.pageId, page.id)))
        .limit(1),
      db
        .select()
        .from(components)
        .where(and(eq(components.groupId, groupId), eq(components.pageId, page.id))),
    ]);
    if (!group) throw new AppError('NOT_FOUND', 'Component group not found');
    const timeZone = effectiveTimeZone(page.timezone);
    const range = uptimeRange(parsed, timeZone, now);
    const showcased = children.filter((child) => child.showcase ?? true);
    const warnings: string[] = [];
    if (children.length === 0) warnings.push('The group has no components.');
    else if (showcased.length === 0) {
      warnings.push('No component of the group is showcased; the figures average all of them.');
    }
    const counted = showcased.length > 0 ? showcased : children;
    const averaged = groupUptime(await this.uptimes(counted, range, timeZone, now)) ?? {
      days: range.dates.map((date) => ({
        date,
        hasData: false,
        partialSeconds: 0,
        majorSeconds: 0,
        related: [],
      })),
      percent: 100,
    };
    return report(group, range, averaged, warnings);
  }

  /** Per-component days over the range, from one batch of two reads. */
  private async uptimes(
    list: readonly Component[],
    range: Range,
    timeZone: string,
    now: Date,
  ): Promise<ComponentUptime[]> {
    if (list.length === 0) return [];
    const ids = list.map((component) => component.id);
    const db = this.getReadDb('fresh');
    // Stretches on component_status_log_component_idx (component_id, started_at) that overlap
    // the range, and the incidents that touched these components while it ran.
    const [stretches, touched] = await db.batch([
      db
        .select({
          componentId: componentStatusLog.componentId,
          status: componentStatusLog.status,
          startedAt: componentStatusLog.startedAt,
          endedAt: componentStatusLog.endedAt,
        })
        .from(componentStatusLog)
        .where(
          and(
            inArray(componentStatusLog.componentId, ids),
            lt(componentStatusLog.startedAt, range.until),
            or(isNull(componentStatusLog.endedAt), gte(componentStatusLog.endedAt, range.from)),
          ),
        ),
      db
        .selectDistinct(relatedIncidentColumns)
        .from(incidents)
        .innerJoin(incidentComponents, eq(incidentComponents.incidentId, incidents.id))
        .where(
          and(
            inArray(incidentComponents.componentId, ids),
            ne(incidents.status, 'scheduled'),
            lt(incidents.createdAt, range.until),
            or(isNull(incidents.resolvedAt), gte(incidents.resolvedAt, range.from)),
          ),
        ),
    ]);
    const related = touched.map(toRelatedEvent);
    return list.map((component) =>
      componentUptime(
        stretches.filter((s): s is StatusStretch => s.componentId === component.id),
        related.filter((event) => event.componentId === component.id),
        { timeZone, now, startDate: component.startDate, dates: range.dates },
      ),
    );
  }
}
