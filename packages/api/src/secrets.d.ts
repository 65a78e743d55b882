// Secrets are not in wrangler.jsonc, so `wrangler types` cannot see them. Locally they come
// from .dev.vars (written by `npm start`), in tests from vitest.config.ts, in production from
// `wrangler secret put`.
interface SkypatchSecrets {
  /** base64url of 32 random bytes: the AES-GCM key for user secrets. */
  SECRETS_ENCRYPTION_KEY: string;
  /** Enables POST /v1/bootstrap (first-run setup) while set. */
  BOOTSTRAP_TOKEN?: string;
  /** GitHub OAuth app credentials: GitHub sign-in exists only while both are set. */
  GITHUB_CLIENT_ID?: string;
  GITHUB_CLIENT_SECRET?: string;
  /** Enables Sentry error and D1 tracing while set. */
  SENTRY_DSN?: string;
}

interface Env extends SkypatchSecrets {}

declare namespace Cloudflare {
  interface Env extends SkypatchSecrets {}
}
