import { sql } from 'drizzle-orm';
import { apiKeys, memberships, organizations, users } from '../db/schema';
import { generateApiKey } from '../lib/api-keys';
import { BASE62, randomString, timingSafeEqual } from '../lib/crypto';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { hashPassword } from '../lib/password';
import { systemActor } from './actor';
import { BaseService } from './base';

export interface BootstrapInput {
  email: string;
  password?: string | undefined;
  orgName: string;
}

export interface BootstrapResult {
  orgId: string;
  userId: string;
  email: string;
  password: string;
  apiKey: string;
  apiKeyId: string;
}

export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return slug || 'org';
}

/**
 * First-run setup: creates the first organization, its owner and an owner API key, once.
 * Guarded by the BOOTSTRAP_TOKEN secret (absent → the feature does not exist) and by the
 * database itself: the batch fails unless its user is the only one, so two racing calls
 * cannot both succeed.
 */
export class BootstrapService extends BaseService {
  async bootstrap(token: string | undefined, input: BootstrapInput): Promise<BootstrapResult> {
    const expected = this.env.BOOTSTRAP_TOKEN;
    if (!expected) throw new AppError('NOT_FOUND', 'Not found');
    if (!token || !timingSafeEqual(token, expected)) {
      throw new AppError('UNAUTHORIZED', 'A valid bootstrap token is required');
    }
    if (await this.hasUsers()) throw new AppError('CONFLICT', 'This instance is already set up');

    const now = new Date();
    const orgId = newId('org');
    const userId = newId('user');
    const password = input.password ?? randomString(24, BASE62);
    const passwordHash = await hashPassword(password);
    const key = await generateApiKey();
    const apiKeyId = newId('apiKey');
    const actor = systemActor('bootstrap', orgId);
    // NULL (and so a NOT NULL failure that rolls back the whole batch) if another user exists
    // by the time this batch runs: the check above and the insert cannot be raced.
    const ownerIfOnlyUser = sql<'owner'>`(SELECT CASE WHEN count(*) = 1 THEN 'owner' END FROM ${users})`;

    try {
      await this.database.batch([
        this.database.insert(users).values({
          id: userId,
          email: input.email,
          displayName: 'Owner',
          provider: 'email',
          providerId: input.email,
          passwordHash,
          emailVerified: true,
          passwordChangedAt: now,
        }),
        this.database
          .insert(organizations)
          .values({ id: orgId, name: input.orgName, slug: slugify(input.orgName), plan: 'free' }),
        this.database
          .insert(memberships)
          .values({ id: newId('membership'), orgId, userId, role: ownerIfOnlyUser }),
        this.database.insert(apiKeys).values({
          id: apiKeyId,
          keyHash: key.hash,
          prefix: key.prefix,
          name: 'Bootstrap key',
          orgId,
          role: 'owner',
          scope: 'full',
          createdByUserId: userId,
        }),
        this.audit(actor, {
          orgId,
          action: 'instance.bootstrap',
          resourceType: 'organization',
          resourceId: orgId,
          after: { orgId, userId, apiKeyId, email: input.email },
        }),
      ]);
    } catch (error) {
      if (await this.hasUsers()) throw new AppError('CONFLICT', 'This instance is already set up');
      this.handleDatabaseError(error, 'bootstrap');
    }
    return { orgId, userId, email: input.email, password, apiKey: key.secret, apiKeyId };
  }

  private async hasUsers(): Promise<boolean> {
    const rows = await this.getReadDb('fresh').select({ id: users.id }).from(users).limit(1);
    return rows.length > 0;
  }
}
