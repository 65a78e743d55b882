import type { Actor, Services } from './services';

/** The Hono environment of every route: bindings from wrangler, plus per-request variables. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    services: Services;
    actor: Actor;
  };
};
