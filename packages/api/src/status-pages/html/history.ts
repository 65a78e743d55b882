import { html } from 'hono/html';
import type { HistoryIncident, IncidentHistory } from '../history';
import { formatShortDateTime, IMPACT_TEXT } from './format';
import { incidentPath } from './incidents';
import { layout, type StatusHtmlInput } from './page';

// `/history` (spec §6.1 item 8): incident history by month, newest month first, three months a
// page with "← Older" / "Newer →" links. Same shell, styles and accessibility as the main page:
// impact in words tied by aria-describedby, times in the page's zone, no script.

const monthFormatter = new Intl.DateTimeFormat('en-US', {
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});

/** "November 2026" for `2026-11`. */
export const formatMonth = (month: string) =>
  monthFormatter.format(new Date(`${month}-15T12:00:00Z`));

function renderIncident(incident: HistoryIncident, basePath: string, timeZone: string) {
  const impactId = `history-${incident.id}-impact`;
  const impact = incident.maintenance ? 'maintenance' : incident.impact;
  const first = new Date(incident.firstUpdateAt);
  const last = new Date(incident.lastUpdateAt);
  return html`<article class="impact-${impact}">
    <h4><a href="${incidentPath(basePath, incident.id)}" aria-describedby="${impactId}">${incident.name}</a></h4>
    <span class="impact-label" id="${impactId}">${incident.maintenance ? 'Maintenance' : IMPACT_TEXT[incident.impact]}</span>
    <p class="muted"><time datetime="${first.toISOString()}">${formatShortDateTime(first, timeZone)}</time>${
      incident.lastUpdateAt === incident.firstUpdateAt
        ? ''
        : html` - <time datetime="${last.toISOString()}">${formatShortDateTime(last, timeZone)}</time>`
    }</p>
  </article>`;
}

export function renderHistoryPage(
  input: StatusHtmlInput,
  history: IncidentHistory,
  pageNumber: number,
) {
  const { status, basePath } = input;
  const timeZone = status.page.time_zone;
  const historyPath = `${basePath}/history`;
  const newer = pageNumber === 2 ? historyPath : `${historyPath}?page=${pageNumber - 1}`;
  const body = html`<section class="past" aria-labelledby="history-heading">
      <h2 id="history-heading">Incident History</h2>
      ${history.months.map(
        (month) => html`<h3 class="day-heading">${formatMonth(month.month)}</h3>
          ${
            month.incidents.length === 0
              ? html`<p class="muted">No incidents reported this month.</p>`
              : month.incidents.map((incident) => renderIncident(incident, basePath, timeZone))
          }`,
      )}
      ${
        history.truncated
          ? html`<p class="muted">Only the newest incidents of these months are listed.</p>`
          : ''
      }
    </section>
    <nav class="pagination" aria-label="Incident history pages">
      ${history.hasOlder ? html`<a href="${historyPath}?page=${pageNumber + 1}" rel="prev">← Older</a>` : ''}
      ${pageNumber > 1 ? html`<a href="${newer}" rel="next">Newer →</a>` : ''}
    </nav>`;
  return layout(input, `Incident History - ${status.page.name} Status`, body);
}
