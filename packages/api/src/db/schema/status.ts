import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { organizations } from './accounts';
import { bool, createdAt, timestamp, updatedAt } from './columns';

// Seed 003 (DT-002) with the additions of shared/specs/statuspage.md §4.4. The seed's
// ON DELETE CASCADE foreign keys are kept; migrations that rebuild a parent must preserve the
// children (see scripts/db-generate.ts and test/migrations.test.ts). Status objects use
// Statuspage's public id format: 12 chars of [0-9a-z].

export const COMPONENT_STATUSES = [
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
] as const;
export const INCIDENT_STATUSES = [
  'investigating',
  'identified',
  'monitoring',
  'resolved',
  'postmortem',
  'scheduled',
  'in_progress',
  'verifying',
  'completed',
] as const;
export const INCIDENT_IMPACTS = ['none', 'minor', 'major', 'critical', 'maintenance'] as const;
// The seed's indicator enum gains `maintenance`, which Statuspage also sends.
export const PAGE_INDICATORS = ['none', 'minor', 'major', 'critical', 'maintenance'] as const;

export const pages = sqliteTable(
  'pages',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id),
    name: text('name').notNull(),
    subdomain: text('subdomain').notNull().unique(),
    customDomain: text('custom_domain').unique(),
    /**
     * A custom domain asked for but not yet proven (DNS TXT, docs/status-pages.md): it serves
     * nothing until verified, then moves to custom_domain. Unclaimed names can't be squatted.
     */
    customDomainPending: text('custom_domain_pending'),
    url: text('url'), // the company's own site, linked from the page header
    statusIndicator: text('status_indicator', { enum: PAGE_INDICATORS }).default('none'),
    statusDescription: text('status_description').default('All Systems Operational'),
    timezone: text('timezone').default('UTC'),
    allowPageSubscribers: bool('allow_page_subscribers').default(true),
    allowIncidentSubscribers: bool('allow_incident_subscribers').default(true),
    allowWebhookSubscribers: bool('allow_webhook_subscribers').default(true),
    allowRssAtomFeeds: bool('allow_rss_atom_feeds').default(true),
    hiddenFromSearch: bool('hidden_from_search').default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('pages_subdomain_idx').on(t.subdomain), index('pages_org_idx').on(t.orgId)],
);

export const componentGroups = sqliteTable(
  'component_groups',
  {
    id: text('id').primaryKey(),
    pageId: text('page_id')
      .notNull()
      .references(() => pages.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    position: integer('position').default(0),
    expanded: bool('expanded').default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('component_groups_page_idx').on(t.pageId, t.position)],
);

export const components = sqliteTable(
  'components',
  {
    id: text('id').primaryKey(),
    pageId: text('page_id')
      .notNull()
      .references(() => pages.id, { onDelete: 'cascade' }),
    groupId: text('group_id').references(() => componentGroups.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    description: text('description'),
    status: text('status', { enum: COMPONENT_STATUSES }).default('operational'),
    position: integer('position').default(0),
    showcase: bool('showcase').default(true),
    onlyShowIfDegraded: bool('only_show_if_degraded').default(false),
    startDate: text('start_date'), // a calendar date (YYYY-MM-DD), as Statuspage sends it
    automationEmail: text('automation_email'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('components_page_idx').on(t.pageId), index('components_group_idx').on(t.groupId)],
);

/** Incidents and scheduled maintenances (statuses `scheduled` … `completed`) share one table. */
export const incidents = sqliteTable(
  'incidents',
  {
    id: text('id').primaryKey(),
    pageId: text('page_id')
      .notNull()
      .references(() => pages.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    status: text('status', { enum: INCIDENT_STATUSES }).notNull(),
    impact: text('impact', { enum: INCIDENT_IMPACTS }).notNull(),
    impactOverride: text('impact_override', { enum: INCIDENT_IMPACTS }),
    scheduledFor: timestamp('scheduled_for'),
    scheduledUntil: timestamp('scheduled_until'),
    startedAt: timestamp('started_at'),
    monitoringAt: timestamp('monitoring_at'),
    resolvedAt: timestamp('resolved_at'),
    backfilled: bool('backfilled').default(false),
    metadata: text('metadata', { mode: 'json' }).$type<Record<string, unknown>>(),
    postmortemBody: text('postmortem_body'),
    postmortemPublishedAt: timestamp('postmortem_published_at'),
    scheduledRemindPrior: bool('scheduled_remind_prior').default(false),
    scheduledRemindedAt: timestamp('scheduled_reminded_at'),
    scheduledAutoInProgress: bool('scheduled_auto_in_progress').default(false),
    scheduledAutoCompleted: bool('scheduled_auto_completed').default(false),
    autoTransitionToMaintenanceState: bool('auto_transition_to_maintenance_state').default(false),
    autoTransitionToOperationalState: bool('auto_transition_to_operational_state').default(false),
    autoTransitionDeliverNotificationsAtStart: bool(
      'auto_transition_deliver_notifications_at_start',
    ).default(false),
    autoTransitionDeliverNotificationsAtEnd: bool(
      'auto_transition_deliver_notifications_at_end',
    ).default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('incidents_page_idx').on(t.pageId),
    index('incidents_status_idx').on(t.status),
    index('incidents_page_created_idx').on(t.pageId, t.createdAt),
  ],
);

export const incidentUpdates = sqliteTable(
  'incident_updates',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    status: text('status', { enum: INCIDENT_STATUSES }).notNull(),
    body: text('body').notNull(),
    displayAt: timestamp('display_at').$defaultFn(() => new Date()),
    deliverNotifications: bool('deliver_notifications').default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('incident_updates_incident_idx').on(t.incidentId, t.displayAt)],
);

/** Which components an incident update touched, with their status before and after. */
export const incidentComponents = sqliteTable(
  'incident_components',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
    incidentUpdateId: text('incident_update_id').references(() => incidentUpdates.id, {
      onDelete: 'cascade',
    }),
    oldStatus: text('old_status', { enum: COMPONENT_STATUSES }),
    newStatus: text('new_status', { enum: COMPONENT_STATUSES }),
    createdAt: createdAt(),
  },
  (t) => [
    index('incident_components_incident_idx').on(t.incidentId),
    index('incident_components_component_idx').on(t.componentId),
    index('incident_components_update_idx').on(t.incidentUpdateId),
  ],
);

export type Page = typeof pages.$inferSelect;
export type NewPage = typeof pages.$inferInsert;
export type ComponentGroup = typeof componentGroups.$inferSelect;
export type NewComponentGroup = typeof componentGroups.$inferInsert;
export type Component = typeof components.$inferSelect;
export type NewComponent = typeof components.$inferInsert;
export type Incident = typeof incidents.$inferSelect;
export type NewIncident = typeof incidents.$inferInsert;
export type IncidentUpdate = typeof incidentUpdates.$inferSelect;
export type NewIncidentUpdate = typeof incidentUpdates.$inferInsert;
export type IncidentComponent = typeof incidentComponents.$inferSelect;
export type NewIncidentComponent = typeof incidentComponents.$inferInsert;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

/**
 * Every status a component has held, one row per stretch (spec §4.4 `component_status_log`):
 * the open row has `ended_at` null. Written in the same batch as every status change (incident,
 * manual edit or maintenance automation); the 90-day uptime bars are computed from it.
 */
export const componentStatusLog = sqliteTable(
  'component_status_log',
  {
    id: text('id').primaryKey(),
    pageId: text('page_id')
      .notNull()
      .references(() => pages.id, { onDelete: 'cascade' }),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
    status: text('status', { enum: COMPONENT_STATUSES }).notNull(),
    startedAt: timestamp('started_at').notNull(),
    endedAt: timestamp('ended_at'),
  },
  (t) => [
    index('component_status_log_component_idx').on(t.componentId, t.startedAt),
    // The page's uptime read: every stretch still open or ended inside the window.
    index('component_status_log_page_ended_idx').on(t.pageId, t.endedAt),
  ],
);

export const SUBSCRIBER_MODES = ['email', 'webhook'] as const;

/**
 * Page subscribers (spec §5.1; email and webhook only). A webhook subscriber's deliveries are
 * signed with its own secret, stored AES-GCM encrypted; `components` empty means all.
 */
export const subscribers = sqliteTable(
  'subscribers',
  {
    id: text('id').primaryKey(),
    pageId: text('page_id')
      .notNull()
      .references(() => pages.id, { onDelete: 'cascade' }),
    mode: text('mode', { enum: SUBSCRIBER_MODES }).notNull(),
    email: text('email'),
    endpoint: text('endpoint'),
    componentIds: text('component_ids', { mode: 'json' }).$type<string[]>(),
    signingSecret: text('signing_secret'), // encrypted (lib/secret-box.ts)
    unsubscribeTokenHash: text('unsubscribe_token_hash').unique(),
    confirmedAt: timestamp('confirmed_at'),
    quarantinedAt: timestamp('quarantined_at'),
    purgeAt: timestamp('purge_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('subscribers_page_idx').on(t.pageId, t.mode)],
);

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

/** One webhook POST to one subscriber, with its attempts: what the team sees when one fails. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    subscriberId: text('subscriber_id')
      .notNull()
      .references(() => subscribers.id, { onDelete: 'cascade' }),
    event: text('event', { enum: ['incident', 'component'] }).notNull(),
    status: text('status', { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    responseStatus: integer('response_status'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    deliveredAt: timestamp('delivered_at'),
  },
  (t) => [index('webhook_deliveries_subscriber_idx').on(t.subscriberId, t.createdAt)],
);

export type ComponentStatusLogRow = typeof componentStatusLog.$inferSelect;
export type NewComponentStatusLogRow = typeof componentStatusLog.$inferInsert;
export type Subscriber = typeof subscribers.$inferSelect;
export type NewSubscriber = typeof subscribers.$inferInsert;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
export type IncidentImpact = (typeof INCIDENT_IMPACTS)[number];
export type PageIndicator = (typeof PAGE_INDICATORS)[number];
