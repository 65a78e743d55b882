import { AuthService } from './auth';
import { BootstrapService } from './bootstrap';
import { HealthService } from './health';

/** Every service, built per request from the env. Entry points reach services only here. */
export function createServices(env: Env) {
  return {
    auth: new AuthService(env),
    bootstrap: new BootstrapService(env),
    health: new HealthService(env),
  };
}

export type Services = ReturnType<typeof createServices>;
export type { Actor } from './actor';
