import { defineConfig } from 'vitest/config';

// One `vitest run` at the root runs every project: the Worker's tests inside workerd, the
// Node-side tooling checks (migration drift, generated docs) and the protocol package.
export default defineConfig({
  test: {
    projects: [
      'packages/api/vitest.config.ts',
      'packages/api/vitest.node.config.ts',
      'packages/protocol/vitest.config.ts',
    ],
  },
});
