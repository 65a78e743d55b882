import { type RouteHandler, z } from '@hono/zod-openapi';
import {
  CreatedSubscriberJson,
  CreateSubscriberBody,
  SubscriberJson,
  SubscriberListJson,
  SubscriberListQuery,
  UnsubscribeQuery,
  UpdateSubscriberBody,
} from '@skypatch/protocol';
import { html } from 'hono/html';
import type { AppEnv } from '../env';
import type { SubscriberView } from '../services/status-subscribers';
import { createRouter, defineRoute, errorResponses, iso, isoOrNull, jsonResponse } from './openapi';
import { IdParam } from './params';
import {
  createStatusRouter,
  jsonAlias,
  PageParams,
  statuspageBody,
  statuspageErrors,
  withoutJsonSuffix,
} from './status-router';

// Status-page subscribers (spec §4.2, §5.1) and the public unsubscribe link (§5.3).

function toSubscriberJson(subscriber: SubscriberView) {
  return {
    id: subscriber.id,
    page_id: subscriber.pageId,
    mode: subscriber.mode,
    email: subscriber.email,
    endpoint: subscriber.endpoint,
    components: subscriber.componentIds ?? [],
    confirmed_at: isoOrNull(subscriber.confirmedAt),
    quarantined_at: isoOrNull(subscriber.quarantinedAt),
    purge_at: isoOrNull(subscriber.purgeAt),
    created_at: iso(subscriber.createdAt),
    updated_at: iso(subscriber.updatedAt),
  };
}

const tags = ['status subscribers'];
const SubscriberParams = PageParams.extend({ subscriber_id: IdParam });
// Reads too: webhook URLs are often credentials (Slack, Discord), and emails are personal data.
const manage = { kind: 'page', permission: 'statuspage.manage' } as const;
// Statuspage clients may append `.json` to any path (spec §4.1).
const ref = (params: z.infer<typeof SubscriberParams>) => {
  const { page_id, subscriber_id } = withoutJsonSuffix(params);
  return { pageId: page_id, subscriberId: subscriber_id };
};

const WEBHOOK_NOTES =
  'Webhook subscribers get a signed JSON POST for every incident create or update and every ' +
  'component status change (spec §5.2): `X-Skypatch-Signature: t=<unix s>,v1=<hex ' +
  'HMAC-SHA256(signing_secret, "<t>.<raw body>")>`. Only a 2xx within 30 s counts; redirects ' +
  'are not followed. A delivery is retried 5 times over about an hour, then the subscriber is ' +
  'quarantined (no deliveries until reactivated) and deleted 30 days later. Email subscribers ' +
  'are stored but this version sends no email.';

const listSubscribers = defineRoute(manage, {
  method: 'get',
  path: '/v1/pages/{page_id}/subscribers',
  tags,
  operationId: 'listStatusSubscribers',
  summary: "The page's subscribers, oldest first",
  request: { params: PageParams, query: SubscriberListQuery },
  responses: {
    200: jsonResponse(SubscriberListJson, 'One page of subscribers'),
    ...statuspageErrors,
  },
});

const createSubscriber = defineRoute(manage, {
  method: 'post',
  path: '/v1/pages/{page_id}/subscribers',
  tags,
  operationId: 'createStatusSubscriber',
  summary: 'Add a webhook (or email) subscriber',
  description: `${WEBHOOK_NOTES} The endpoint must be https on port 443 to a public host name (no IP addresses, localhost, .local or .internal names, or this service's own hosts; http://localhost only with ALLOW_INSECURE_WEBHOOKS=true), carry no credentials and be at most 2,048 characters.`,
  request: {
    params: PageParams,
    body: statuspageBody(CreateSubscriberBody, '`{ subscriber: {…} }`'),
  },
  responses: {
    201: jsonResponse(CreatedSubscriberJson, 'Created; `signing_secret` is shown this once'),
    ...statuspageErrors,
  },
});

const getSubscriber = defineRoute(manage, {
  method: 'get',
  path: '/v1/pages/{page_id}/subscribers/{subscriber_id}',
  tags,
  operationId: 'getStatusSubscriber',
  summary: 'One subscriber',
  request: { params: SubscriberParams },
  responses: { 200: jsonResponse(SubscriberJson, 'The subscriber'), ...statuspageErrors },
});

const updateSubscriber = defineRoute(manage, {
  method: 'patch',
  path: '/v1/pages/{page_id}/subscribers/{subscriber_id}',
  tags,
  operationId: 'updateStatusSubscriber',
  summary: "Change a subscriber's components, endpoint or email",
  request: {
    params: SubscriberParams,
    body: statuspageBody(UpdateSubscriberBody, '`{ subscriber: {…} }`'),
  },
  responses: { 200: jsonResponse(SubscriberJson, 'The subscriber'), ...statuspageErrors },
});

const deleteSubscriber = defineRoute(manage, {
  method: 'delete',
  path: '/v1/pages/{page_id}/subscribers/{subscriber_id}',
  tags,
  operationId: 'deleteStatusSubscriber',
  summary: 'Unsubscribe (delete) a subscriber and its delivery log',
  request: { params: SubscriberParams },
  responses: { 200: jsonResponse(SubscriberJson, 'The deleted subscriber'), ...statuspageErrors },
});

const reactivateSubscriber = defineRoute(manage, {
  method: 'post',
  path: '/v1/pages/{page_id}/subscribers/{subscriber_id}/reactivate',
  tags,
  operationId: 'reactivateStatusSubscriber',
  summary: 'Lift a quarantine: deliveries resume with the next event',
  request: { params: SubscriberParams },
  responses: { 200: jsonResponse(SubscriberJson, 'The subscriber'), ...statuspageErrors },
});

const UnsubscribeParams = z.object({ subdomain: z.string().min(1).max(63) });

const unsubscribeForm = defineRoute(
  { kind: 'public' },
  {
    method: 'get',
    path: '/status/{subdomain}/unsubscribe',
    tags,
    operationId: 'unsubscribeForm',
    summary: 'The page behind meta.unsubscribe: a button that confirms (a GET changes nothing)',
    request: { params: UnsubscribeParams, query: UnsubscribeQuery },
    responses: {
      200: { description: 'HTML form', content: { 'text/html': { schema: z.string() } } },
      ...errorResponses,
    },
  },
);

const unsubscribe = defineRoute(
  { kind: 'public' },
  {
    method: 'post',
    path: '/status/{subdomain}/unsubscribe',
    tags,
    operationId: 'unsubscribe',
    summary: 'End a subscription with the token from meta.unsubscribe',
    request: { params: UnsubscribeParams, query: UnsubscribeQuery },
    responses: {
      200: {
        description: 'Unsubscribed: HTML for browsers, JSON otherwise',
        content: {
          'application/json': { schema: z.object({ unsubscribed: z.literal(true) }) },
          'text/html': { schema: z.string() },
        },
      },
      ...errorResponses,
    },
  },
);

const page = (title: string, body: unknown) => html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`;

const listHandler: RouteHandler<typeof listSubscribers, AppEnv> = async (c) => {
  const { page_id, ...query } = { ...c.req.valid('param'), ...c.req.valid('query') };
  const list = await c.var.services.statusSubscribers.list(c.var.actor, {
    pageId: withoutJsonSuffix({ page_id }).page_id,
    ...query,
  });
  return c.json(list.map(toSubscriberJson), 200);
};
const createHandler: RouteHandler<typeof createSubscriber, AppEnv> = async (c) => {
  const { page_id } = withoutJsonSuffix(c.req.valid('param'));
  const { subscriber, signingSecret } = await c.var.services.statusSubscribers.create(c.var.actor, {
    pageId: page_id,
    ...c.req.valid('json'),
  });
  return c.json({ ...toSubscriberJson(subscriber), signing_secret: signingSecret }, 201);
};

const managementRoutes = createStatusRouter()
  .openapi(listSubscribers, listHandler)
  .openapi(jsonAlias(listSubscribers), listHandler)
  .openapi(createSubscriber, createHandler)
  .openapi(jsonAlias(createSubscriber), createHandler)
  .openapi(getSubscriber, async (c) => {
    const subscriber = await c.var.services.statusSubscribers.get(
      c.var.actor,
      ref(c.req.valid('param')),
    );
    return c.json(toSubscriberJson(subscriber), 200);
  })
  .openapi(updateSubscriber, async (c) => {
    const subscriber = await c.var.services.statusSubscribers.update(c.var.actor, {
      ...ref(c.req.valid('param')),
      ...c.req.valid('json'),
    });
    return c.json(toSubscriberJson(subscriber), 200);
  })
  .openapi(deleteSubscriber, async (c) => {
    const subscriber = await c.var.services.statusSubscribers.remove(
      c.var.actor,
      ref(c.req.valid('param')),
    );
    return c.json(toSubscriberJson(subscriber), 200);
  })
  .openapi(reactivateSubscriber, async (c) => {
    const subscriber = await c.var.services.statusSubscribers.reactivate(
      c.var.actor,
      ref(c.req.valid('param')),
    );
    return c.json(toSubscriberJson(subscriber), 200);
  });

const unsubscribeRoutes = createRouter()
  .openapi(unsubscribeForm, (c) => {
    const { token } = c.req.valid('query');
    const form = html`<p>Stop sending this page's notifications to this subscription?</p>
<form method="post" action="?token=${token}"><button type="submit">Unsubscribe</button></form>`;
    return c.html(page('Unsubscribe', form), 200);
  })
  .openapi(unsubscribe, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('query') };
    const { pageName } = await c.var.services.statusSubscribers.unsubscribe(input);
    if (c.req.header('accept')?.includes('text/html')) {
      return c.html(
        page('Unsubscribed', html`<p>You will get no more notifications from ${pageName}.</p>`),
        200,
      );
    }
    return c.json({ unsubscribed: true as const }, 200);
  });

export const statusSubscriberRoutes = createRouter()
  .route('/', managementRoutes)
  .route('/', unsubscribeRoutes);
