import type { IncidentV2, ScheduledMaintenanceV2 } from '@skypatch/protocol';
import { html } from 'hono/html';
import { type ComponentUptime, windowDates } from '../../core/uptime';
import type { PublicStatus } from '../serialize';
import { calendarDate } from '../time';
import { renderComponents } from './components';
import { formatLongDate, formatWindow, IMPACT_TEXT } from './format';
import {
  PAST_INCIDENT_DAYS,
  renderBannerIncident,
  renderBody,
  renderPastIncidents,
  renderUpcomingMaintenances,
  renderUpdates,
} from './incidents';
import { renderLayout } from './layout';

// The public status page and the one-incident page (spec §6), rendered on the server from the
// same v2 objects as the JSON API, so the page never says something the API does not.

export interface StatusHtmlInput {
  status: PublicStatus;
  /** Bars by component id (core/uptime.ts pageUptime). */
  uptime: ReadonlyMap<string, ComponentUptime>;
  /** This page's root path: '' on a status host, `/status/{subdomain}` on the API host. */
  basePath: string;
  now: Date;
}

const UNRESOLVED = new Set(['investigating', 'identified', 'monitoring']);
const IN_PROGRESS = new Set(['in_progress', 'verifying']);

/** The shared shell with this page's name, feeds and links (history.ts renders in it too). */
export function layout(input: StatusHtmlInput, title: string, body: ReturnType<typeof html>) {
  const { status, basePath } = input;
  return renderLayout({
    title,
    pageName: status.page.name,
    homePath: basePath || '/',
    feeds: status.display.allowRssAtomFeeds
      ? { atom: `${basePath}/history.atom`, rss: `${basePath}/history.rss` }
      : null,
    hiddenFromSearch: status.display.hiddenFromSearch,
    companyUrl: status.display.companyUrl,
    body,
  });
}

/** The banner (§6.1 item 2): the open incidents and running maintenances, or the page status. */
function renderBanner(input: StatusHtmlInput) {
  const { status, basePath } = input;
  const timeZone = status.page.time_zone;
  const open: IncidentV2[] = [
    ...status.incidents.filter((incident) => UNRESOLVED.has(incident.status)),
    ...status.scheduledMaintenances.filter((m) => IN_PROGRESS.has(m.status)),
  ];
  return html`<section aria-labelledby="current-status-heading">
    <h2 id="current-status-heading">Current status</h2>
    ${
      open.length > 0
        ? open.map((incident) => renderBannerIncident(incident, basePath, timeZone))
        : html`<p class="page-status status-${status.status.indicator}">${status.status.description}</p>`
    }
  </section>`;
}

export function renderStatusPage(input: StatusHtmlInput) {
  const { status, basePath, now } = input;
  const timeZone = status.page.time_zone;
  const upcoming = status.scheduledMaintenances
    .filter((maintenance) => maintenance.status === 'scheduled')
    .reverse(); // the list runs latest window first; upcoming reads soonest first
  const past: (IncidentV2 | ScheduledMaintenanceV2)[] = [
    ...status.incidents,
    ...status.scheduledMaintenances.filter((maintenance) => maintenance.status !== 'scheduled'),
  ].sort((a, b) => Date.parse(listedAt(b)) - Date.parse(listedAt(a)));
  const body = html`${renderBanner(input)}
    ${renderComponents({
      components: status.components,
      uptime: input.uptime,
      expandedGroupIds: new Set(status.display.expandedGroupIds),
    })}
    ${renderUpcomingMaintenances(upcoming, basePath, timeZone)}
    ${renderPastIncidents({
      incidents: past,
      dates: windowDates(now, timeZone, PAST_INCIDENT_DAYS).reverse(),
      dateOf: (instant) => calendarDate(new Date(instant), timeZone),
      basePath,
      timeZone,
    })}`;
  return layout(input, `${status.page.name} Status`, body);
}

const listedAt = (incident: IncidentV2 | ScheduledMaintenanceV2) =>
  'scheduled_for' in incident ? incident.scheduled_for : incident.created_at;

/** `/incidents/{id}`: one incident or maintenance, its whole trail and its postmortem. */
export function renderIncidentPage(
  input: StatusHtmlInput,
  incident: IncidentV2 | ScheduledMaintenanceV2,
) {
  const { status } = input;
  const timeZone = status.page.time_zone;
  const postmortem = status.display.postmortems[incident.id];
  const window =
    'scheduled_for' in incident
      ? formatWindow(incident.scheduled_for, incident.scheduled_until, timeZone)
      : null;
  const body = html`<article class="incident-block impact-${incident.impact}" aria-labelledby="incident-heading">
      <h2 id="incident-heading">${incident.name}</h2>
      <span class="impact-label">${IMPACT_TEXT[incident.impact]}${window ? html`: ${window}` : ''}</span>
      ${renderUpdates(incident, timeZone)}
      ${
        incident.components.length > 0
          ? html`<p class="muted">Affected components: ${incident.components
              .map((c) => c.name)
              .join(', ')}</p>`
          : ''
      }
    </article>
    ${
      postmortem
        ? html`<section aria-labelledby="postmortem-heading">
          <h2 id="postmortem-heading">Postmortem</h2>
          <p>${renderBody(postmortem.body)}</p>
          <p class="muted">Published ${formatLongDate(postmortem.published_at, timeZone)}</p>
        </section>`
        : ''
    }
    <p><a href="${input.basePath || '/'}">← Current status</a></p>`;
  return layout(input, `${incident.name} - ${status.page.name} Status`, body);
}

/** The 404 for an unknown page or incident: plain, and the same for both. */
export function renderNotFoundPage() {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Page not found</title></head>
<body><main><h1>Page not found</h1><p>There is no status page or incident at this address.</p></main></body>
</html>`;
}
