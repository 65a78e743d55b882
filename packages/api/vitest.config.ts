import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { DOH_URL, fakeDoh } from './test/fake-doh';
import { fakeGitHub, GITHUB_TEST_CLIENT_ID, GITHUB_TEST_CLIENT_SECRET } from './test/fake-github';
import { fakeWebhookReceiver } from './test/fake-webhook-receiver';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests run inside workerd against the real local D1, R2, KV, Queues and Durable Objects
// declared in wrangler.jsonc; test/setup.ts applies the committed migrations to each file's D1.
export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: here('./wrangler.jsonc') },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(here('./migrations')),
          SECRETS_ENCRYPTION_KEY: 'dGVzdC1vbmx5LWtleS10ZXN0LW9ubHkta2V5LTMyYiE',
          BOOTSTRAP_TOKEN: 'test-bootstrap-token',
          GITHUB_CLIENT_ID: GITHUB_TEST_CLIENT_ID,
          GITHUB_CLIENT_SECRET: GITHUB_TEST_CLIENT_SECRET,
          // Low enough for a test to reach in a loop (test/updates.test.ts).
          SDK_CHECKS_PER_MINUTE: '40',
          // Status-page management requests per credential a minute: reached in a loop by
          // test/status-rate-limit.test.ts; the other status tests spend at most ~15 per key.
          STATUSPAGE_REQUESTS_PER_MINUTE: '40',
          // Status webhook retries at once, so a test sees a delivery reach the DLQ.
          STATUS_WEBHOOK_RETRY_SECONDS: '0',
          // Custom-domain TXT lookups go to a fake resolver (test/fake-doh.ts).
          DOH_URL,
          // Lets a test subscribe http://localhost receivers (the local-development exception).
          ALLOW_INSECURE_WEBHOOKS: 'true',
        },
        // Every fetch() the Worker makes to the internet is answered here, in this Node
        // process: GitHub's OAuth and REST endpoints are emulated, anything else is a 502.
        // (@cloudflare/vitest-plugin 1.5 hands this straight to miniflare as the Worker's
        // outbound service; it has no fetchMock of its own.)
        // Status webhooks to https://hooks.test go to a recording receiver (test/fake-webhook-receiver.ts).
        outboundService: (request: Request) =>
          fakeWebhookReceiver(request) ?? fakeDoh(request) ?? fakeGitHub(request),
        // An empty database of its own for replaying migrations one at a time.
        d1Databases: { DB: 'skypatch-test', MIGRATION_TEST_DB: 'skypatch-migration-test' },
      },
    }),
  ],
  test: {
    name: 'api',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/node/**'],
    setupFiles: [here('./test/setup.ts')],
    // CI runs the suite on 2 shared cores: a test that takes 1 s alone can take 6 under load.
    testTimeout: 20_000,
  },
}));
