import { withSentry } from '@sentry/cloudflare';
import { createApp } from './app';
import { scheduled } from './cron';
import { setLogLevel } from './lib/log';
import { queue } from './queues';

export { UploadStatusDO } from './durable-objects/upload-status';

const app = createApp();

const plain = {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue,
  scheduled,
} satisfies ExportedHandler<Env>;

// Sentry wraps the handler, and through it every D1, R2 and queue binding of the env, only
// when SENTRY_DSN is set; without it requests run on the untouched bindings. withSentry
// replaces the methods of the object it is given, so it gets a copy and `plain` stays plain.
const instrumented = withSentry((env: Env) => ({ dsn: env.SENTRY_DSN, tracesSampleRate: 0.01 }), {
  ...plain,
});

export function handlerFor(env: Env): typeof plain {
  setLogLevel(env.LOG_LEVEL);
  return env.SENTRY_DSN ? instrumented : plain;
}

export default {
  fetch: (request, env, ctx) => handlerFor(env).fetch(request, env, ctx),
  queue: (batch, env, ctx) => handlerFor(env).queue(batch, env, ctx),
  scheduled: (controller, env, ctx) => handlerFor(env).scheduled(controller, env, ctx),
} satisfies ExportedHandler<Env>;
