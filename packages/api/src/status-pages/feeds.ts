import type { IncidentV2, ScheduledMaintenanceV2 } from '@skypatch/protocol';
import { html } from 'hono/html';
import { formatWindow, shortDateTimeParts, updateLabels } from './html/format';
import type { PublicStatus } from './serialize';

// /history.atom and /history.rss (shared/specs/statuspage.md §5.4), shaped like Statuspage's own
// feeds (GHA, githubstatus.com) so feed readers and the bots built on them keep working.
// hono/html escapes every interpolated value, which is exactly XML's escaping of text and
// attribute values; the entry content is HTML, escaped once more as the feed's text.

export const FEED_ENTRY_CAP = 25;
type AnyIncident = IncidentV2 | ScheduledMaintenanceV2;

const published = (incident: AnyIncident) =>
  incident.incident_updates[0]?.display_at ?? incident.created_at;

/** Realtime incidents and maintenances, newest published first, at most 25 (ours, §5.4). */
export function feedEntries(status: PublicStatus): AnyIncident[] {
  return [...status.incidents, ...status.scheduledMaintenances]
    .sort((a, b) => Date.parse(published(b)) - Date.parse(published(a)))
    .slice(0, FEED_ENTRY_CAP);
}

/**
 * The whole update trail, newest first, one `<p>` per update (§5.4); a maintenance starts with
 * its window ("THIS IS A SCHEDULED EVENT Jan 16, 12:00 - 16:00 GMT").
 */
export function entryContent(incident: AnyIncident, timeZone: string): string {
  const labels = updateLabels(incident.incident_updates);
  const prefix =
    'scheduled_for' in incident
      ? html`<p><strong>THIS IS A SCHEDULED EVENT ${formatWindow(incident.scheduled_for, incident.scheduled_until, timeZone)}</strong></p>`
      : '';
  const updates = incident.incident_updates.map((update, i) => {
    const at = shortDateTimeParts(update.display_at, timeZone);
    return html`<p><small>${at.month} <var data-var='date'>${at.day}</var>, <var data-var='time'>${at.time}</var> ${at.zone}</small><br><strong>${labels[i]}</strong> - ${update.body}</p>`;
  });
  return html`${prefix}${updates}`.toString();
}

const feedTitle = (status: PublicStatus) => `${status.page.name} Status - Incident History`;

export function renderAtomFeed(status: PublicStatus): string {
  const { page } = status;
  const host = new URL(page.url).host;
  const entries = feedEntries(status).map(
    (incident) => html`
  <entry>
    <id>tag:${host},2005:Incident/${incident.id}</id>
    <published>${published(incident)}</published>
    <updated>${incident.updated_at}</updated>
    <link rel="alternate" type="text/html" href="${incident.shortlink}"/>
    <title>${incident.name}</title>
    <content type="html">${entryContent(incident, page.time_zone)}</content>
  </entry>`,
  );
  return html`<?xml version="1.0" encoding="UTF-8"?>
<feed xml:lang="en-US" xmlns="http://www.w3.org/2005/Atom">
  <id>tag:${host},2005:/history</id>
  <link rel="alternate" type="text/html" href="${page.url}"/>
  <link rel="self" type="application/atom+xml" href="${page.url}/history.atom"/>
  <title>${feedTitle(status)}</title>
  <updated>${page.updated_at}</updated>
  <author>
    <name>${page.name}</name>
  </author>${entries}
</feed>
`.toString();
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 822 in UTC with a numeric zone, as GitHub's feed writes it: `Thu, 15 Jan 2026 14:32:00 +0000`. */
export function rfc822(instant: string): string {
  const d = new Date(instant);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${WEEKDAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ` +
    `${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}

export function renderRssFeed(status: PublicStatus): string {
  const { page } = status;
  const items = feedEntries(status).map(
    (incident) => html`
    <item>
      <title>${incident.name}</title>
      <description>${entryContent(incident, page.time_zone)}</description>
      <pubDate>${rfc822(published(incident))}</pubDate>
      <link>${incident.shortlink}</link>
      <guid>${incident.shortlink}</guid>
    </item>`,
  );
  return html`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>${feedTitle(status)}</title>
    <link>${page.url}</link>
    <description>Statuspage</description>
    <pubDate>${rfc822(page.updated_at)}</pubDate>${items}
  </channel>
</rss>
`.toString();
}
