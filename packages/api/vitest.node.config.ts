import { defineConfig } from 'vitest/config';

// Checks of the repository itself that need Node (drizzle-kit, the file system).
export default defineConfig({
  test: { name: 'api-node', include: ['test/node/**/*.test.ts'], environment: 'node' },
});
