import type { D1Migration } from 'cloudflare:test';

// Test-only bindings, declared in vitest.config.ts.
declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      MIGRATION_TEST_DB: D1Database;
    }
    interface GlobalProps {
      mainModule: typeof import('../src/index');
    }
  }
}
