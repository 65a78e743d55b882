// The rows of a demo status page as SQL for `wrangler d1 execute --local`: groups (one expanded,
// one collapsed), showcased components with some downtime, an open incident, a resolved one and
// an upcoming maintenance, all relative to `now` so the page always has recent history.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const DEMO = {
  subdomain: 'browser-demo',
  pageName: 'Skypatch Demo',
  openIncident: 'Elevated API latency',
  resolvedIncident: 'Login errors on the dashboard',
  maintenance: 'CDN provider maintenance',
  expandedGroup: 'Core Platform',
  collapsedGroup: 'Update Delivery',
  visibleComponents: ['API', 'Dashboard', 'Email Notifications'],
  collapsedComponent: 'CDN',
} as const;

const quote = (value: string | number | null) =>
  value === null
    ? 'NULL'
    : typeof value === 'number'
      ? String(value)
      : `'${value.replaceAll("'", "''")}'`;

function insert(table: string, row: Record<string, string | number | null>): string {
  const columns = Object.keys(row);
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => quote(row[c] ?? null)).join(', ')});`;
}

export function demoPageSql(now: number): string {
  const ago = (ms: number) => now - ms;
  const created = ago(200 * DAY);
  const stamps = { created_at: created, updated_at: created };
  const page = 'demopage0001';
  const component = (
    id: string,
    name: string,
    groupId: string | null,
    position: number,
    extra = {},
  ) =>
    insert('components', {
      id,
      page_id: page,
      group_id: groupId,
      name,
      status: 'operational',
      position,
      showcase: 1,
      only_show_if_degraded: 0,
      start_date: null,
      ...stamps,
      ...extra,
    });
  const log = (id: string, componentId: string, status: string, from: number, to: number | null) =>
    insert('component_status_log', {
      id,
      page_id: page,
      component_id: componentId,
      status,
      started_at: from,
      ended_at: to,
    });
  const incident = (
    id: string,
    name: string,
    status: string,
    impact: string,
    at: number,
    extra = {},
  ) =>
    insert('incidents', {
      id,
      page_id: page,
      name,
      status,
      impact,
      started_at: at,
      created_at: at,
      updated_at: at,
      ...extra,
    });
  const update = (id: string, incidentId: string, status: string, body: string, at: number) =>
    insert('incident_updates', {
      id,
      incident_id: incidentId,
      status,
      body,
      display_at: at,
      deliver_notifications: 1,
      created_at: at,
      updated_at: at,
    });
  return [
    insert('organizations', {
      id: 'org_browserdemo',
      name: 'Demo',
      slug: 'browser-demo',
      plan: 'free',
      ...stamps,
    }),
    insert('pages', {
      id: page,
      org_id: 'org_browserdemo',
      name: DEMO.pageName,
      subdomain: DEMO.subdomain,
      timezone: 'America/New_York',
      status_indicator: 'minor',
      status_description: 'Partially Degraded Service',
      allow_rss_atom_feeds: 1,
      created_at: created,
      updated_at: now,
    }),
    insert('component_groups', {
      id: 'grpcore00001',
      page_id: page,
      name: DEMO.expandedGroup,
      position: 1,
      expanded: 1,
      ...stamps,
    }),
    insert('component_groups', {
      id: 'grpdeliver01',
      page_id: page,
      name: DEMO.collapsedGroup,
      position: 2,
      expanded: 0,
      ...stamps,
    }),
    component('cmpapi000001', 'API', 'grpcore00001', 1, {
      status: 'degraded_performance',
      description: 'Public REST API',
    }),
    component('cmpdash00001', 'Dashboard', 'grpcore00001', 2),
    component('cmpcdn000001', DEMO.collapsedComponent, 'grpdeliver01', 1),
    component('cmpcheck0001', 'Update Check', 'grpdeliver01', 2),
    component('cmpemail0001', 'Email Notifications', null, 3, { showcase: 0 }),
    log('log000000001', 'cmpapi000001', 'major_outage', ago(5 * DAY), ago(5 * DAY - 40 * 60_000)),
    log('log000000002', 'cmpapi000001', 'partial_outage', ago(20 * DAY), ago(20 * DAY - 3 * HOUR)),
    log('log000000003', 'cmpdash00001', 'major_outage', ago(3 * DAY), ago(3 * DAY - 2 * HOUR)),
    log(
      'log000000004',
      'cmpcdn000001',
      'partial_outage',
      ago(40 * DAY),
      ago(40 * DAY - 10 * 60_000),
    ),
    log('log000000005', 'cmpapi000001', 'degraded_performance', ago(HOUR), null),
    incident('incopen00001', DEMO.openIncident, 'identified', 'minor', ago(HOUR)),
    update(
      'upd000000001',
      'incopen00001',
      'investigating',
      'We are investigating elevated latency on the API.',
      ago(HOUR),
    ),
    update(
      'upd000000002',
      'incopen00001',
      'identified',
      'A misconfigured cache node is slowing API responses; we are replacing it.',
      ago(HOUR / 2),
    ),
    insert('incident_components', {
      id: 'icp000000001',
      incident_id: 'incopen00001',
      component_id: 'cmpapi000001',
      incident_update_id: 'upd000000001',
      old_status: 'operational',
      new_status: 'degraded_performance',
      created_at: ago(HOUR),
    }),
    incident('incdone00001', DEMO.resolvedIncident, 'resolved', 'critical', ago(3 * DAY), {
      resolved_at: ago(3 * DAY - 2 * HOUR),
    }),
    update(
      'upd000000003',
      'incdone00001',
      'investigating',
      'Users cannot sign in to the dashboard.',
      ago(3 * DAY),
    ),
    update(
      'upd000000004',
      'incdone00001',
      'resolved',
      'This incident has been resolved.',
      ago(3 * DAY - 2 * HOUR),
    ),
    insert('incident_components', {
      id: 'icp000000002',
      incident_id: 'incdone00001',
      component_id: 'cmpdash00001',
      incident_update_id: 'upd000000003',
      old_status: 'operational',
      new_status: 'major_outage',
      created_at: ago(3 * DAY),
    }),
    incident('incmaint0001', DEMO.maintenance, 'scheduled', 'maintenance', ago(DAY), {
      scheduled_for: now + 5 * DAY,
      scheduled_until: now + 5 * DAY + 2 * HOUR,
    }),
    update(
      'upd000000005',
      'incmaint0001',
      'scheduled',
      'We will be undergoing scheduled maintenance during this time.',
      ago(DAY),
    ),
  ].join('\n');
}
