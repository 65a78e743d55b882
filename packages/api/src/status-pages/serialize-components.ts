import type { StatusComponentV2 } from '@skypatch/protocol';
import { groupStatus } from '../core/status-rules';
import type { Component, ComponentGroup, Page } from '../db/schema';
import { calendarDate, effectiveTimeZone, formatTimestamp } from './time';

// Components and group containers as Statuspage v2 lists them (shared/specs/statuspage.md §1.3,
// §1.5, §2.4). Re-exported by serialize.ts, which is where callers import it from.

export interface PageUrlOptions {
  /** The STATUS_PAGES_DOMAIN var: pages live at `<subdomain>.<domain>` when it is set. */
  statusPagesDomain?: string;
  /** Origin of the request (`https://host`), for local serving under `/status/{subdomain}`. */
  requestOrigin: string;
}

/** The page's public URL (§1.3 `page.url`): its custom domain, its subdomain, or the local path. */
export function publicPageUrl(
  page: Pick<Page, 'subdomain' | 'customDomain'>,
  options: PageUrlOptions,
): string {
  if (page.customDomain) return `https://${page.customDomain}`;
  if (options.statusPagesDomain) return `https://${page.subdomain}.${options.statusPagesDomain}`;
  return `${options.requestOrigin}/status/${page.subdomain}`;
}

export const latest = (dates: Iterable<Date>, floor: Date): Date => {
  let max = floor;
  for (const date of dates) if (date.getTime() > max.getTime()) max = date;
  return max;
};

const byPositionThenAge = (
  a: { position: number | null; createdAt: Date; id: string },
  b: { position: number | null; createdAt: Date; id: string },
) =>
  (a.position ?? 0) - (b.position ?? 0) ||
  a.createdAt.getTime() - b.createdAt.getTime() ||
  (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * All components of the page, group containers included, as components.json lists them (§1.3,
 * §1.5): `position` is 1-based among siblings (the top level mixes groups and ungrouped
 * components); the flat list is ordered by position, ties by `created_at`, then `id` (ours).
 */
export function toComponentsV2(rows: {
  page: Page;
  groups: ComponentGroup[];
  components: Component[];
}): StatusComponentV2[] {
  const timeZone = effectiveTimeZone(rows.page.timezone);
  const ts = (date: Date) => formatTimestamp(date, timeZone);
  const groupIds = new Set(rows.groups.map((group) => group.id));
  const childrenOf = new Map<string, Component[]>();
  const topLevel: Array<{ kind: 'group'; row: ComponentGroup } | { kind: 'leaf'; row: Component }> =
    rows.groups.map((row) => ({ kind: 'group', row }));
  for (const component of rows.components) {
    // A component whose group is gone is shown at the top level rather than lost.
    if (component.groupId && groupIds.has(component.groupId)) {
      const siblings = childrenOf.get(component.groupId) ?? [];
      siblings.push(component);
      childrenOf.set(component.groupId, siblings);
    } else {
      topLevel.push({ kind: 'leaf', row: component });
    }
  }

  const leaf = (component: Component, position: number, groupId: string | null) =>
    ({
      id: component.id,
      name: component.name,
      status: component.status ?? 'operational',
      created_at: ts(component.createdAt),
      updated_at: ts(component.updatedAt),
      position,
      description: component.description ?? null,
      showcase: component.showcase ?? true,
      // Ours: a component without a stored start date has data from the day it was created.
      start_date: component.startDate ?? calendarDate(component.createdAt, timeZone),
      group_id: groupId,
      page_id: rows.page.id,
      group: false,
      only_show_if_degraded: component.onlyShowIfDegraded ?? false,
    }) satisfies StatusComponentV2;

  const flat: Array<{ json: StatusComponentV2; createdAt: Date; id: string }> = [];
  topLevel.sort((a, b) => byPositionThenAge(a.row, b.row));
  topLevel.forEach((entry, index) => {
    const position = index + 1;
    if (entry.kind === 'leaf') {
      flat.push({ json: leaf(entry.row, position, null), ...entry.row });
      return;
    }
    const group = entry.row;
    const children = (childrenOf.get(group.id) ?? []).sort(byPositionThenAge);
    const childJson = children.map((child, childIndex) => leaf(child, childIndex + 1, group.id));
    flat.push({
      json: {
        id: group.id,
        name: group.name,
        status: groupStatus(childJson.map((child) => child.status)),
        created_at: ts(group.createdAt),
        // A container changes whenever a child does (§7: Core Platform carries API's change).
        updated_at: ts(
          latest(
            children.map((child) => child.updatedAt),
            group.updatedAt,
          ),
        ),
        position,
        description: group.description ?? null,
        showcase: false,
        start_date: null,
        group_id: null,
        page_id: rows.page.id,
        group: true,
        only_show_if_degraded: false,
        components: children.map((child) => child.id),
      },
      ...group,
    });
    children.forEach((child, childIndex) => {
      const json = childJson[childIndex];
      if (json) flat.push({ json, ...child });
    });
  });
  flat.sort(
    (a, b) =>
      a.json.position - b.json.position ||
      a.createdAt.getTime() - b.createdAt.getTime() ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return flat.map((entry) => entry.json);
}
