import { z } from 'zod';
import {
  AffectedComponentV2,
  ComponentStatus,
  IncidentImpact,
  IncidentStatus,
  StatusIndicator,
} from './status-public';

// The status-page management API in Statuspage's v1 shape (shared/specs/statuspage.md §4):
// snake_case fields, each request body wrapped in its singular resource name. Bodies may also
// arrive form-encoded (`incident[name]=…`), so booleans accept Statuspage's `t`/`f` and numbers
// accept strings.

const Timestamp = z.string().describe('ISO 8601, UTC');

/** `true`/`false`, or the strings `t`/`f`/`true`/`false`/`1`/`0` that form clients send. */
export const FlexBoolean = z
  .union([z.boolean(), z.enum(['t', 'f', 'true', 'false', '1', '0'])])
  .transform((value) => value === true || value === 't' || value === 'true' || value === '1');

/** A lowercase DNS label: the page is served on `<subdomain>.<base>`. */
export const Subdomain = z
  .string()
  .min(1)
  .max(63)
  .regex(
    /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/,
    'a lowercase DNS label: a-z, 0-9 and inner hyphens, at most 63 characters',
  );

const Hostname = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$/, 'a lowercase hostname');

/**
 * Subdomains kept for the service's own hosts (`api.<base>`, `www.<base>` …): a page named so
 * would look like part of the service.
 */
export const RESERVED_SUBDOMAINS = [
  'www',
  'api',
  'app',
  'admin',
  'status',
  'mail',
  'docs',
  'help',
  'support',
  'blog',
  'assets',
  'static',
  'cdn',
] as const;
const PageSubdomain = Subdomain.refine(
  (label) => !(RESERVED_SUBDOMAINS as readonly string[]).includes(label),
  `reserved: ${RESERVED_SUBDOMAINS.join(', ')}`,
);

/** http(s) only: the page links to it, and `javascript:`/`data:` links would run on the page. */
const WebUrl = z.url({ protocol: /^https?$/ }).max(2_000);

/** An IANA time zone name, checked by the runtime's own tables. */
export const TimeZone = z
  .string()
  .max(64)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone, e.g. Etc/UTC or America/New_York');

export const PublicId = z.string().regex(/^[0-9a-z]{12}$/, 'a 12-character id of [0-9a-z]');
export const StatusName = z.string().trim().min(1).max(255);
export const StatusBody = z.string().max(25_000);
const Description = z.string().max(1_000);
const CalendarDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');
const Position = z.coerce.number().int().min(1).max(10_000);

const PageFields = z.object({
  name: StatusName,
  subdomain: PageSubdomain,
  domain: Hostname.or(z.literal(''))
    .nullable()
    .optional()
    .describe('custom domain: held as pending until verified by DNS; null or "" removes it'),
  url: WebUrl.nullable().optional().describe("the company's own site (http or https)"),
  time_zone: TimeZone.optional(),
  hidden_from_search: FlexBoolean.optional(),
  allow_page_subscribers: FlexBoolean.optional(),
  allow_incident_subscribers: FlexBoolean.optional(),
  allow_webhook_subscribers: FlexBoolean.optional(),
  allow_rss_atom_feeds: FlexBoolean.optional(),
});
export const CreateStatusPageBody = z.object({ page: PageFields });
export const UpdateStatusPageBody = z.object({ page: PageFields.partial() });
export type CreateStatusPageBody = z.input<typeof CreateStatusPageBody>;
export type UpdateStatusPageBody = z.input<typeof UpdateStatusPageBody>;

const ComponentFields = z.object({
  name: StatusName,
  description: Description.nullable().optional(),
  status: ComponentStatus.optional(),
  group_id: PublicId.nullable().optional(),
  showcase: FlexBoolean.optional(),
  only_show_if_degraded: FlexBoolean.optional(),
  start_date: CalendarDate.nullable().optional(),
  position: Position.optional(),
});
export const CreateComponentBody = z.object({ component: ComponentFields });
export const UpdateComponentBody = z.object({ component: ComponentFields.partial() });
export type CreateComponentBody = z.input<typeof CreateComponentBody>;
export type UpdateComponentBody = z.input<typeof UpdateComponentBody>;

const GroupFields = z.object({
  name: StatusName,
  components: z.array(PublicId).max(500),
  description: Description.nullable().optional(),
  position: Position.optional(),
});
/** `description` sits outside `component_group` in Statuspage's schema (an OAS quirk): both work. */
export const CreateComponentGroupBody = z.object({
  description: Description.nullable().optional(),
  component_group: GroupFields,
});
export const UpdateComponentGroupBody = z.object({
  description: Description.nullable().optional(),
  component_group: GroupFields.partial(),
});
export type CreateComponentGroupBody = z.input<typeof CreateComponentGroupBody>;
export type UpdateComponentGroupBody = z.input<typeof UpdateComponentGroupBody>;

const AUTOMATION_FLAGS = {
  scheduled_remind_prior: FlexBoolean.optional(),
  scheduled_auto_in_progress: FlexBoolean.optional(),
  /** Statuspage's older name for `scheduled_auto_in_progress`. */
  scheduled_auto_transition: FlexBoolean.optional(),
  scheduled_auto_completed: FlexBoolean.optional(),
  auto_transition_to_maintenance_state: FlexBoolean.optional(),
  auto_transition_to_operational_state: FlexBoolean.optional(),
  auto_transition_deliver_notifications_at_start: FlexBoolean.optional(),
  auto_transition_deliver_notifications_at_end: FlexBoolean.optional(),
};

const IncidentFields = z.object({
  name: StatusName,
  status: IncidentStatus.optional(),
  impact_override: IncidentImpact.nullable().optional(),
  body: StatusBody.optional(),
  /** The legacy name of `body` (old v1 docs, hubot-statuspage). */
  message: StatusBody.optional(),
  components: z
    .record(z.string(), ComponentStatus)
    .optional()
    .describe('status changes to apply: {component_id: status}'),
  component_ids: z.array(z.string()).max(500).optional(),
  deliver_notifications: FlexBoolean.optional(),
  metadata: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  scheduled_for: z.iso.datetime({ offset: true }).optional(),
  scheduled_until: z.iso.datetime({ offset: true }).optional(),
  ...AUTOMATION_FLAGS,
});
export const CreateIncidentBody = z.object({ incident: IncidentFields });
export const UpdateIncidentBody = z.object({ incident: IncidentFields.partial() });
export type CreateIncidentBody = z.input<typeof CreateIncidentBody>;
export type UpdateIncidentBody = z.input<typeof UpdateIncidentBody>;
export type IncidentFields = z.output<typeof IncidentFields>;

/** `PATCH …/incident_updates/{id}` may change only these (spec §4.2). */
export const UpdateIncidentUpdateBody = z.object({
  incident_update: z.object({
    body: StatusBody.optional(),
    display_at: z.iso.datetime({ offset: true }).optional(),
    deliver_notifications: FlexBoolean.optional(),
    wants_twitter_update: FlexBoolean.optional().describe('accepted and ignored'),
  }),
});
export type UpdateIncidentUpdateBody = z.input<typeof UpdateIncidentUpdateBody>;

export const IncidentListQuery = z.object({
  q: z.string().max(255).optional().describe('search in incident names'),
  limit: z.coerce.number().int().min(1).max(100).default(100),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
});
export const ComponentListQuery = z.object({
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(100),
});

// Responses: the public §1.3 objects plus the management fields (§4.3), timestamps in UTC.

/** The TXT record that proves control of a custom domain (docs/status-pages.md). */
export const DomainVerificationRecord = z.object({
  type: z.literal('TXT'),
  name: z.string().describe('`_skypatch.<domain>`'),
  value: z.string().describe('`skypatch-verify=<token>`'),
});
export type DomainVerificationRecord = z.infer<typeof DomainVerificationRecord>;

export const StatusPageJson = z.object({
  id: z.string(),
  org_id: z.string(),
  name: z.string(),
  subdomain: z.string(),
  domain: z.string().nullable().describe('the verified custom domain the page answers on'),
  domain_pending: z.string().nullable().describe('a custom domain awaiting DNS verification'),
  domain_verification: DomainVerificationRecord.nullable().describe(
    'the DNS record that proves `domain_pending`; then POST …/domain/verify',
  ),
  url: z.string().nullable(),
  time_zone: z.string(),
  hidden_from_search: z.boolean(),
  allow_page_subscribers: z.boolean(),
  allow_incident_subscribers: z.boolean(),
  allow_webhook_subscribers: z.boolean(),
  allow_rss_atom_feeds: z.boolean(),
  status_indicator: StatusIndicator,
  status_description: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const StatusComponentJson = z.object({
  id: z.string(),
  page_id: z.string(),
  group_id: z.string().nullable(),
  name: z.string(),
  description: z.string().nullable(),
  status: ComponentStatus,
  position: z.number().int(),
  showcase: z.boolean(),
  only_show_if_degraded: z.boolean(),
  start_date: z.string().nullable(),
  group: z.literal(false),
  automation_email: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const ComponentGroupJson = z.object({
  id: z.string(),
  page_id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  components: z.array(z.string()),
  position: z.number().int(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const IncidentUpdateJson = z.object({
  id: z.string(),
  incident_id: z.string(),
  status: IncidentStatus,
  body: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
  display_at: Timestamp,
  affected_components: z.array(AffectedComponentV2).nullable(),
  deliver_notifications: z.boolean(),
  custom_tweet: z.null(),
  tweet_id: z.null(),
});

export const StatusIncidentJson = z.object({
  id: z.string(),
  page_id: z.string(),
  name: z.string(),
  status: IncidentStatus,
  impact: IncidentImpact,
  impact_override: IncidentImpact.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
  started_at: Timestamp,
  monitoring_at: Timestamp.nullable(),
  resolved_at: Timestamp.nullable(),
  shortlink: z.string(),
  backfilled: z.boolean(),
  metadata: z.record(z.string(), z.unknown()),
  postmortem_body: z.string().nullable(),
  postmortem_published_at: Timestamp.nullable(),
  scheduled_for: Timestamp.nullable(),
  scheduled_until: Timestamp.nullable(),
  scheduled_remind_prior: z.boolean(),
  scheduled_reminded_at: Timestamp.nullable(),
  scheduled_auto_in_progress: z.boolean(),
  scheduled_auto_completed: z.boolean(),
  auto_transition_to_maintenance_state: z.boolean(),
  auto_transition_to_operational_state: z.boolean(),
  auto_transition_deliver_notifications_at_start: z.boolean(),
  auto_transition_deliver_notifications_at_end: z.boolean(),
  incident_updates: z.array(IncidentUpdateJson),
  components: z.array(StatusComponentJson),
});

export type StatusPageJson = z.infer<typeof StatusPageJson>;
export type StatusComponentJson = z.infer<typeof StatusComponentJson>;
export type ComponentGroupJson = z.infer<typeof ComponentGroupJson>;
export type IncidentUpdateJson = z.infer<typeof IncidentUpdateJson>;
export type StatusIncidentJson = z.infer<typeof StatusIncidentJson>;
