import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { organizations, users } from '../src/db/schema';
import { BootstrapService } from '../src/services/bootstrap';
import { db } from './factories';

// Its own file: bootstrap depends on the whole database being empty, and storage is per file.

describe('bootstrap race', () => {
  it('lets only one of two concurrent bootstraps through', async () => {
    const service = new BootstrapService(env);
    const results = await Promise.allSettled([
      service.bootstrap('test-bootstrap-token', { email: 'one@example.test', orgName: 'One' }),
      service.bootstrap('test-bootstrap-token', { email: 'two@example.test', orgName: 'Two' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await db().select().from(users)).toHaveLength(1);
    expect(await db().select().from(organizations)).toHaveLength(1);
  });
});
