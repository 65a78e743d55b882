import { and, desc, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { releases } from '../db/schema';
import { PageInput, toPage } from '../lib/pagination';
import type { Actor } from './actor';
import { AppService, assertAppInScope } from './apps';
import { BaseService } from './base';

const ListInput = PageInput.extend({
  orgId: z.string().min(1).max(64),
  appId: z.string().min(1).max(64),
  channelId: z.string().min(1).max(64).optional(),
});

/** Release history and, as the pipeline grows, rollout, rollback and promotion. */
export class ReleaseService extends BaseService {
  private readonly apps = new AppService(this.env);

  async list(actor: Actor, input: z.input<typeof ListInput>) {
    const { orgId, appId, channelId, cursor, limit } = ListInput.parse(input);
    const access = await this.authorize(actor, orgId, 'org.read');
    assertAppInScope(access, appId);
    const app = await this.apps.findOwnedApp(orgId, appId);
    const rows = await this.getReadDb('fresh')
      .select()
      .from(releases)
      .where(
        and(
          eq(releases.appId, app.id),
          isNull(releases.deletedAt),
          channelId ? eq(releases.channelId, channelId) : undefined,
          this.afterCursor(releases.createdAt, releases.id, cursor),
        ),
      )
      .orderBy(desc(releases.createdAt), desc(releases.id))
      .limit(limit + 1);
    return toPage(rows, limit, (row) => row.createdAt);
  }
}
