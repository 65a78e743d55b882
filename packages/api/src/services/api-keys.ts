import { CreateApiKeyBody } from '@skypatch/protocol';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { type ApiKey, apiKeys, apps } from '../db/schema';
import { generateApiKey } from '../lib/api-keys';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { PageInput, toPage } from '../lib/pagination';
import type { Actor } from './actor';
import { BaseService } from './base';
import { roleAtLeast } from './permissions';
import { RateLimitService } from './rate-limit';

// A key that never expires is allowed (CI), but an expiry, when given, must be in the future
// and within ten years: a typo like year 20250 should be an error, not a forever key.
const MAX_EXPIRY_MS = 10 * 365 * 24 * 60 * 60 * 1000;

const OrgId = z.string().min(1).max(64);
const CreateInput = CreateApiKeyBody.extend({
  orgId: OrgId,
  expiresAt: z.coerce
    .date()
    .refine((d) => d.getTime() > Date.now(), 'must be in the future')
    .refine((d) => d.getTime() < Date.now() + MAX_EXPIRY_MS, 'must be within ten years')
    .optional(),
});
const KeyInput = z.object({ orgId: OrgId, keyId: z.string().min(1).max(64) });
const ListInput = PageInput.extend({ orgId: OrgId });

export class ApiKeyService extends BaseService {
  private readonly rateLimits = new RateLimitService(this.env.RATE_LIMITS);

  /** A new key; its secret is in the result and nowhere else, ever (only its hash is kept). */
  async create(actor: Actor, input: z.input<typeof CreateInput>) {
    const { orgId, name, role, scope, appId, expiresAt } = CreateInput.parse(input);
    const access = await this.authorize(actor, orgId, 'key.manage');
    if (!roleAtLeast(access.role, role)) {
      throw new AppError(
        'FORBIDDEN',
        `An ${access.role} cannot create a key with the ${role} role`,
      );
    }
    if (appId) await this.findOwnedApp(orgId, appId);
    await this.rateLimits.consume('keyCreate', orgId);
    const key = await generateApiKey();
    const id = newId('apiKey');
    const [[row]] = await this.database.batch([
      this.database
        .insert(apiKeys)
        .values({
          id,
          keyHash: key.hash,
          prefix: key.prefix,
          name,
          orgId,
          appId: appId ?? null,
          role,
          scope,
          createdByUserId: access.userId,
          expiresAt: expiresAt ?? null,
        })
        .returning(),
      this.audit(actor, {
        orgId,
        action: 'api_key.create',
        resourceType: 'api_key',
        resourceId: id,
        after: { name, role, scope, appId: appId ?? null, prefix: key.prefix, expiresAt },
      }),
    ]);
    if (!row) throw new AppError('INTERNAL', 'Key creation wrote no row');
    return { key: row, secret: key.secret };
  }

  async list(actor: Actor, input: z.input<typeof ListInput>) {
    const { orgId, cursor, limit } = ListInput.parse(input);
    await this.authorize(actor, orgId, 'key.manage');
    const rows = await this.getReadDb('fresh')
      .select()
      .from(apiKeys)
      .where(
        and(
          eq(apiKeys.orgId, orgId),
          isNull(apiKeys.revokedAt),
          this.afterCursor(apiKeys.createdAt, apiKeys.id, cursor),
        ),
      )
      .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
      .limit(limit + 1);
    return toPage(rows, limit, (row) => row.createdAt);
  }

  /** Revokes at once: authentication reads revoked_at on every request, nothing caches it. */
  async revoke(actor: Actor, input: z.input<typeof KeyInput>): Promise<ApiKey> {
    const { orgId, keyId } = KeyInput.parse(input);
    await this.authorize(actor, orgId, 'key.manage');
    const [key] = await this.getReadDb('fresh')
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.id, keyId), eq(apiKeys.orgId, orgId), isNull(apiKeys.revokedAt)))
      .limit(1);
    if (!key) throw new AppError('NOT_FOUND', 'API key not found');
    const revokedAt = new Date();
    await this.database.batch([
      this.database.update(apiKeys).set({ revokedAt }).where(eq(apiKeys.id, key.id)),
      this.audit(actor, {
        orgId,
        action: 'api_key.revoke',
        resourceType: 'api_key',
        resourceId: key.id,
        before: { name: key.name, prefix: key.prefix },
      }),
    ]);
    return { ...key, revokedAt };
  }

  private async findOwnedApp(orgId: string, appId: string) {
    const [app] = await this.getReadDb('fresh')
      .select({ id: apps.id })
      .from(apps)
      .where(and(eq(apps.id, appId), eq(apps.orgId, orgId), isNull(apps.deletedAt)))
      .limit(1);
    if (!app) throw new AppError('NOT_FOUND', 'App not found');
    return app;
  }
}
