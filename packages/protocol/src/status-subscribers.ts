import { z } from 'zod';

// Status-page subscribers in Statuspage's management shape (shared/specs/statuspage.md §5.1):
// bodies wrap the resource in `subscriber`, responses use snake_case. A body with `endpoint`
// makes a webhook subscriber; one with only `email` an email subscriber (stored, but this
// version sends no email).

const Timestamp = z.string().describe('ISO 8601');
export const SUBSCRIBER_ENDPOINT_MAX = 2048;

const Endpoint = z
  .string()
  .trim()
  .min(1)
  .max(SUBSCRIBER_ENDPOINT_MAX)
  .describe('https URL that receives the POSTs; no credentials in it, at most 2,048 characters');
const Email = z.email().max(254);
const ComponentIds = z
  .array(z.string().min(1).max(64))
  .min(1)
  .max(500)
  .describe('components to hear about; leave out for all of them');

export const CreateSubscriberBody = z.object({
  subscriber: z
    .strictObject({
      endpoint: Endpoint.optional(),
      email: Email.optional().describe(
        'required with `endpoint` (Statuspage mails it when the endpoint fails); alone, makes an ' +
          'email subscriber, which this version stores but does not mail',
      ),
      component_ids: ComponentIds.optional(),
    })
    .refine((s) => s.endpoint !== undefined || s.email !== undefined, {
      message: 'Send `endpoint` (and `email`) for a webhook subscriber, or `email` alone',
      path: ['endpoint'],
    })
    .refine((s) => s.endpoint === undefined || s.email !== undefined, {
      message: 'A webhook subscriber needs an `email` too',
      path: ['email'],
    }),
});
export type CreateSubscriberBody = z.input<typeof CreateSubscriberBody>;

export const UpdateSubscriberBody = z.object({
  subscriber: z
    .strictObject({ endpoint: Endpoint, email: Email, component_ids: ComponentIds.nullable() })
    .partial()
    .describe('`component_ids: null` subscribes to every component again'),
});
export type UpdateSubscriberBody = z.input<typeof UpdateSubscriberBody>;

export const SubscriberListQuery = z.object({
  page: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000)
    .default(1)
    .describe('1-based; 0 is the first page too (Statuspage clients send it)'),
  limit: z.coerce.number().int().min(1).max(100).default(100),
  type: z.enum(['email', 'webhook']).optional(),
  state: z
    .enum(['active', 'unconfirmed', 'quarantined', 'all'])
    .default('all')
    .describe('`unconfirmed`: email subscribers (nothing confirms them in this version)'),
});
export type SubscriberListQuery = z.input<typeof SubscriberListQuery>;

export const SubscriberJson = z.object({
  id: z.string(),
  page_id: z.string(),
  mode: z.enum(['email', 'webhook']),
  email: z.string().nullable(),
  endpoint: z.string().nullable(),
  components: z.array(z.string()).describe('component ids; empty = every component'),
  confirmed_at: Timestamp.nullable(),
  quarantined_at: Timestamp.nullable().describe('set when deliveries kept failing; none are sent'),
  purge_at: Timestamp.nullable().describe('a quarantined subscriber is deleted at this time'),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type SubscriberJson = z.infer<typeof SubscriberJson>;
export const SubscriberListJson = z.array(SubscriberJson);

/** `signing_secret` is shown once, at creation, and never again. */
export const CreatedSubscriberJson = SubscriberJson.extend({
  signing_secret: z
    .string()
    .nullable()
    .describe('`whsec_…`: verifies X-Skypatch-Signature; null for email subscribers'),
});
export type CreatedSubscriberJson = z.infer<typeof CreatedSubscriberJson>;

export const UnsubscribeQuery = z.object({ token: z.string().min(10).max(200) });
