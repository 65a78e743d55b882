import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

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
        },
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
  },
}));
