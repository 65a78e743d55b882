import { CreateSecretBody } from '@skypatch/protocol';
import { and, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type UserSecret, userSecrets } from '../db/schema';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { PageInput, toPage } from '../lib/pagination';
import { decryptSecret, encryptSecret, importSecretKey, previewSecret } from '../lib/secret-box';
import type { Actor } from './actor';
import { BaseService } from './base';

const OrgId = z.string().min(1).max(64);
const CreateInput = CreateSecretBody.extend({
  orgId: OrgId,
  expiresAt: z.coerce.date().optional(),
});
const SecretInput = z.object({ orgId: OrgId, secretId: z.string().min(1).max(64) });
const ListInput = PageInput.extend({ orgId: OrgId });

/** A secret as lists show it: every column but the ciphertext. */
export type SecretSummary = Omit<UserSecret, 'encryptedValue'>;

function summarize({ encryptedValue: _ciphertext, ...summary }: UserSecret): SecretSummary {
  return summary;
}

/**
 * Seed 004's user secrets, per org: AES-GCM under SECRETS_ENCRYPTION_KEY, a preview for
 * humans, and plaintext only inside the Worker (`reveal`, used by release signing), never in a
 * response, a log line or an audit row.
 */
export class SecretService extends BaseService {
  private key() {
    return importSecretKey(this.env.SECRETS_ENCRYPTION_KEY);
  }

  async create(actor: Actor, input: z.input<typeof CreateInput>): Promise<SecretSummary> {
    const { orgId, value, ...fields } = CreateInput.parse(input);
    const access = await this.authorize(actor, orgId, 'secret.manage');
    if (!access.userId) throw new AppError('FORBIDDEN', 'This key has no user to own a secret');
    const id = newId('secret');
    const [[row]] = await this.database.batch([
      this.database
        .insert(userSecrets)
        .values({
          id,
          orgId,
          userId: access.userId,
          ...fields,
          encryptedValue: await encryptSecret(await this.key(), value),
          keyPreview: previewSecret(value),
        })
        .returning(),
      this.audit(actor, {
        orgId,
        action: 'secret.create',
        resourceType: 'secret',
        resourceId: id,
        after: {
          provider: fields.provider,
          secretType: fields.secretType,
          name: fields.displayName,
        },
      }),
    ]);
    if (!row) throw new AppError('INTERNAL', 'Secret creation wrote no row');
    return summarize(row);
  }

  async list(actor: Actor, input: z.input<typeof ListInput>) {
    const { orgId, cursor, limit } = ListInput.parse(input);
    await this.authorize(actor, orgId, 'secret.read');
    const rows = await this.getReadDb('fresh')
      .select()
      .from(userSecrets)
      .where(
        and(
          eq(userSecrets.orgId, orgId),
          eq(userSecrets.isActive, true),
          this.afterCursor(userSecrets.createdAt, userSecrets.id, cursor),
        ),
      )
      .orderBy(desc(userSecrets.createdAt), desc(userSecrets.id))
      .limit(limit + 1);
    const page = toPage(rows, limit, (row) => row.createdAt);
    return { ...page, items: page.items.map(summarize) };
  }

  async remove(actor: Actor, input: z.input<typeof SecretInput>): Promise<void> {
    const { orgId, secretId } = SecretInput.parse(input);
    await this.authorize(actor, orgId, 'secret.manage');
    const secret = await this.findOwned(orgId, secretId);
    // The ciphertext goes with the row: a deleted signing key must not be recoverable.
    await this.database.batch([
      this.database.delete(userSecrets).where(eq(userSecrets.id, secret.id)),
      this.audit(actor, {
        orgId,
        action: 'secret.delete',
        resourceType: 'secret',
        resourceId: secret.id,
        before: { provider: secret.provider, name: secret.displayName },
      }),
    ]);
  }

  /**
   * The plaintext, for server-side use only (signing a release). Never wire this to a route.
   * Counts the use, as seed 004's usage_count and last_used intend.
   */
  async reveal(actor: Actor, input: z.input<typeof SecretInput>): Promise<string> {
    const { orgId, secretId } = SecretInput.parse(input);
    await this.authorize(actor, orgId, 'release.create');
    const secret = await this.findOwned(orgId, secretId);
    if (secret.expiresAt && secret.expiresAt <= new Date()) {
      throw new AppError('CONFLICT', 'This secret has expired');
    }
    const plaintext = await decryptSecret(await this.key(), secret.encryptedValue);
    await this.inBackground(
      this.database
        .update(userSecrets)
        .set({ lastUsed: new Date(), usageCount: sql`coalesce(${userSecrets.usageCount}, 0) + 1` })
        .where(eq(userSecrets.id, secret.id))
        .run(),
    );
    return plaintext;
  }

  private async findOwned(orgId: string, secretId: string): Promise<UserSecret> {
    const [secret] = await this.getReadDb('fresh')
      .select()
      .from(userSecrets)
      .where(
        and(
          eq(userSecrets.id, secretId),
          eq(userSecrets.orgId, orgId),
          eq(userSecrets.isActive, true),
        ),
      )
      .limit(1);
    if (!secret) throw new AppError('NOT_FOUND', 'Secret not found');
    return secret;
  }
}
