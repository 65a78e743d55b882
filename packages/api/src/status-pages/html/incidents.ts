import type { IncidentV2, ScheduledMaintenanceV2 } from '@skypatch/protocol';
import { html } from 'hono/html';
import {
  formatLongDate,
  formatShortDateTime,
  formatWindow,
  IMPACT_TEXT,
  updateLabels,
} from './format';

// Incidents and maintenances on the HTML page (spec §6.1 items 2, 6 and 7). Every value from the
// database goes through hono/html's auto-escaping; only our own markup is raw.

type Html = ReturnType<typeof html>;
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/g;

/** An update body is plain text (§1.3): render its links and line breaks, escape the rest. */
export function renderBody(body: string): Html[] {
  const out: Html[] = [];
  body.split(/\r?\n/).forEach((line, i) => {
    if (i > 0) out.push(html`<br>`);
    let last = 0;
    for (const match of line.matchAll(URL_PATTERN)) {
      out.push(html`${line.slice(last, match.index)}`);
      out.push(html`<a href="${match[0]}" rel="nofollow ugc">${match[0]}</a>`);
      last = match.index + match[0].length;
    }
    out.push(html`${line.slice(last)}`);
  });
  return out;
}

export const incidentPath = (basePath: string, id: string) =>
  `${basePath}/incidents/${encodeURIComponent(id)}`;

/** The update trail, newest first, each "Label - body" with its time (§3.4). */
export function renderUpdates(incident: IncidentV2, timeZone: string): Html {
  const labels = updateLabels(incident.incident_updates);
  return html`<ol class="updates">
    ${incident.incident_updates.map(
      (update, i) => html`<li>
        <strong>${labels[i]}</strong> - ${renderBody(update.body)}<br>
        <small><time datetime="${update.display_at}">${formatShortDateTime(update.display_at, timeZone)}</time></small>
      </li>`,
    )}
  </ol>`;
}

function impactLabel(incident: IncidentV2, idPrefix: string): { id: string; label: Html } {
  const id = `${idPrefix}-${incident.id}-impact`;
  return {
    id,
    label: html`<span class="impact-label" id="${id}">${IMPACT_TEXT[incident.impact]}</span>`,
  };
}

/** One unresolved incident or in-progress maintenance in the banner. */
export function renderBannerIncident(incident: IncidentV2, basePath: string, timeZone: string) {
  const impact = impactLabel(incident, 'banner');
  return html`<article class="incident-block impact-${incident.impact}" aria-labelledby="banner-${incident.id}">
    <h3 id="banner-${incident.id}"><a href="${incidentPath(basePath, incident.id)}" aria-describedby="${impact.id}">${incident.name}</a></h3>
    ${impact.label}
    ${renderUpdates(incident, timeZone)}
  </article>`;
}

/** Upcoming maintenances: name, window, latest body and when it was posted (§6.1 item 6). */
export function renderUpcomingMaintenances(
  maintenances: readonly ScheduledMaintenanceV2[],
  basePath: string,
  timeZone: string,
) {
  if (maintenances.length === 0) return html``;
  return html`<section aria-labelledby="maintenance-heading">
    <h2 id="maintenance-heading">Scheduled Maintenance</h2>
    ${maintenances.map((maintenance) => {
      const latest = maintenance.incident_updates[0];
      return html`<article class="incident-block impact-maintenance" aria-labelledby="maint-${maintenance.id}">
        <h3 id="maint-${maintenance.id}"><a href="${incidentPath(basePath, maintenance.id)}">${maintenance.name}</a></h3>
        <p class="impact-label">Maintenance: ${formatWindow(maintenance.scheduled_for, maintenance.scheduled_until, timeZone)}</p>
        ${latest ? html`<p>${renderBody(latest.body)}</p>` : ''}
        <p class="muted">Posted on ${formatLongDate(maintenance.created_at, timeZone)}</p>
      </article>`;
    })}
  </section>`;
}

export const PAST_INCIDENT_DAYS = 15;

/** The day an incident is listed under: a maintenance's start, else when it was opened. */
function listedAt(incident: IncidentV2 | ScheduledMaintenanceV2): string {
  return 'scheduled_for' in incident ? incident.scheduled_for : incident.created_at;
}

/**
 * Past incidents, one heading per day for the last 15 days in the page's zone, newest first
 * (§6.1 item 7). `dates` are the 15 calendar dates, newest first; `dateOf` maps an instant to
 * its date in the page's zone.
 */
export function renderPastIncidents(input: {
  incidents: readonly (IncidentV2 | ScheduledMaintenanceV2)[];
  dates: readonly string[];
  dateOf: (instant: string) => string;
  basePath: string;
  timeZone: string;
}) {
  const [today] = input.dates;
  return html`<section class="past" aria-labelledby="past-heading">
    <h2 id="past-heading">Past Incidents</h2>
    ${input.dates.map((date) => {
      const onDay = input.incidents.filter((incident) => input.dateOf(listedAt(incident)) === date);
      const empty = date === today ? 'No incidents reported today.' : 'No incidents reported.';
      return html`<h3 class="day-heading">${formatLongDate(`${date}T12:00:00Z`, 'Etc/UTC')}</h3>
        ${
          onDay.length === 0
            ? html`<p class="muted">${empty}</p>`
            : onDay.map((incident) => {
                const impact = impactLabel(incident, 'past');
                return html`<article class="impact-${incident.impact}">
                  <h4><a href="${incidentPath(input.basePath, incident.id)}" aria-describedby="${impact.id}">${incident.name}</a></h4>
                  ${impact.label}
                  ${renderUpdates(incident, input.timeZone)}
                </article>`;
              })
        }`;
    })}
  </section>`;
}
