import { and, eq, sql } from 'drizzle-orm';
import { exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, importSPKI, jwtVerify } from 'jose';
import { z } from 'zod';
import { type App, apps, userSecrets } from '../db/schema';
import {
  acceptCodeSigningCertificate,
  createCodeSigningCertificate,
} from '../lib/code-signing-certificate';
import { sha256Hex } from '../lib/crypto';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { isSignatureEntry } from '../lib/package-hash';
import { decryptSecret, encryptSecret, importSecretKey, previewSecret } from '../lib/secret-box';
import type { Actor } from './actor';
import { AppService } from './apps';
import { BaseService } from './base';
import { bumpAppChannels, cacheKeys, publishCacheChanges } from './cache';

/** What an app keeps about its code-signing key, in `apps.settings.codeSigning`. */
export const CodeSigning = z.object({
  keyId: z.string(),
  publicKeyPem: z.string(),
  /** The encrypted private key (user_secrets), when the server holds one. */
  secretId: z.string().nullable(),
  source: z.enum(['generated', 'uploaded']),
  createdAt: z.string(),
  /**
   * The X.509 certificate Expo builds embed (PEM). Absent on keys installed before
   * certificates existed (made on first read when the server holds the private key) and on
   * a team's public key uploaded without one.
   */
  certificatePem: z.string().optional(),
});
export type CodeSigning = z.infer<typeof CodeSigning>;

const Id = z.string().min(1).max(64);
const AppRef = z.object({ orgId: Id, appId: Id });
const UploadInput = AppRef.extend({
  publicKeyPem: z.string().min(100).max(10_000),
  privateKeyPem: z.string().min(100).max(20_000).optional(),
  certificatePem: z.string().min(100).max(20_000).optional(),
});

const ALGORITHM = 'RS256'; // RSASSA-PKCS1-v1_5 with SHA-256: CodePush's JWT and expo-signature

export function codeSigningOf(app: App): CodeSigning | null {
  const parsed = CodeSigning.safeParse(app.settings?.codeSigning);
  return parsed.success ? parsed.data : null;
}

/** A short, stable name for a public key: the first 16 hex of the sha256 of its PEM body. */
async function keyIdOf(publicKeyPem: string): Promise<string> {
  return (await sha256Hex(publicKeyPem.replace(/-----[^-]+-----|\s/g, ''))).slice(0, 16);
}

/**
 * Per-app code signing (RSA-2048). The server can generate the key pair (the private key then
 * lives encrypted in user_secrets, for signing the native protocol's responses) or take the
 * team's own public key (and optionally its private key). With a public key on file, every
 * CodePush upload must carry a `.codepushrelease` JWT made with the matching private key
 * whose `contentHash` is the package hash (codepush.md §3), or it is refused.
 */
export class CodeSigningService extends BaseService {
  private readonly apps = new AppService(this.env);

  async get(actor: Actor, input: z.input<typeof AppRef>): Promise<CodeSigning> {
    const app = await this.apps.get(actor, AppRef.parse(input));
    const signing = codeSigningOf(app);
    if (!signing) throw new AppError('NOT_FOUND', 'This app has no code-signing key');
    return this.withCertificate(app, signing);
  }

  /** The certificate (PEM) Expo builds embed; 404 when the app has none. */
  async certificate(actor: Actor, input: z.input<typeof AppRef>): Promise<string> {
    const { certificatePem } = await this.get(actor, input);
    if (!certificatePem) {
      throw new AppError(
        'NOT_FOUND',
        'This app has no code-signing certificate: upload one with its public key',
      );
    }
    return certificatePem;
  }

  async generate(actor: Actor, input: z.input<typeof AppRef>): Promise<CodeSigning> {
    const ref = AppRef.parse(input);
    await this.authorize(actor, ref.orgId, 'app.manage');
    const app = await this.apps.findOwnedApp(ref.orgId, ref.appId);
    const { publicKey, privateKey } = await generateKeyPair(ALGORITHM, {
      modulusLength: 2048,
      extractable: true,
    });
    const publicKeyPem = await exportSPKI(publicKey);
    return this.install(actor, app, {
      publicKeyPem,
      privateKeyPem: await exportPKCS8(privateKey),
      certificatePem: await certificateFor(app, publicKeyPem, privateKey),
      source: 'generated',
    });
  }

  async upload(actor: Actor, input: z.input<typeof UploadInput>): Promise<CodeSigning> {
    const { publicKeyPem, privateKeyPem, certificatePem, ...ref } = UploadInput.parse(input);
    await this.authorize(actor, ref.orgId, 'app.manage');
    const app = await this.apps.findOwnedApp(ref.orgId, ref.appId);
    let publicKey: CryptoKey;
    let privateKey: CryptoKey | null;
    try {
      publicKey = await importSPKI(publicKeyPem, ALGORITHM);
      privateKey = privateKeyPem ? await importPKCS8(privateKeyPem, ALGORITHM) : null;
    } catch {
      throw new AppError(
        'BAD_REQUEST',
        'Keys must be PEM: an SPKI RSA public key and a PKCS#8 private key',
      );
    }
    // A mismatched pair would sign what the public key (and its certificate) cannot verify.
    if (privateKey && !(await isKeyPair(publicKey, privateKey))) {
      throw new AppError('BAD_REQUEST', 'The private key does not match the public key');
    }
    // The team's own certificate wins: it may already be built into their apps.
    const certificate = certificatePem
      ? await acceptCodeSigningCertificate(certificatePem, publicKeyPem)
      : privateKey
        ? await certificateFor(app, publicKeyPem, privateKey)
        : undefined;
    return this.install(actor, app, {
      publicKeyPem,
      privateKeyPem: privateKeyPem ?? null,
      certificatePem: certificate,
      source: 'uploaded',
    });
  }

  async remove(actor: Actor, input: z.input<typeof AppRef>): Promise<void> {
    const ref = AppRef.parse(input);
    await this.authorize(actor, ref.orgId, 'app.manage');
    const app = await this.apps.findOwnedApp(ref.orgId, ref.appId);
    const signing = codeSigningOf(app);
    if (!signing) throw new AppError('NOT_FOUND', 'This app has no code-signing key');
    const { codeSigning: _removed, ...settings } = app.settings ?? {};
    // Checks sign with the key the channel view caches: every channel's view must reload.
    const [bumped] = await this.database.batch([
      bumpAppChannels(this.database, app.id),
      this.database.update(apps).set({ settings }).where(eq(apps.id, app.id)),
      this.database
        .delete(userSecrets)
        .where(and(eq(userSecrets.id, signing.secretId ?? ''), eq(userSecrets.orgId, ref.orgId))),
      this.audit(actor, {
        orgId: ref.orgId,
        action: 'code_signing.delete',
        resourceType: 'app',
        resourceId: app.id,
        before: { keyId: signing.keyId },
      }),
    ]);
    await publishCacheChanges(this.env.CACHE, {
      versions: bumped,
      forget: [cacheKeys.app(app.id)],
    });
  }

  /** The app's private key, for signing responses server-side; null when none is held. */
  async privateKeyFor(app: App): Promise<CryptoKey | null> {
    const signing = codeSigningOf(app);
    if (!signing?.secretId) return null;
    const [secret] = await this.getReadDb('fast')
      .select({ encryptedValue: userSecrets.encryptedValue })
      .from(userSecrets)
      .where(eq(userSecrets.id, signing.secretId))
      .limit(1);
    if (!secret) return null;
    const pem = await decryptSecret(
      await importSecretKey(this.env.SECRETS_ENCRYPTION_KEY),
      secret.encryptedValue,
    );
    return importPKCS8(pem, ALGORITHM);
  }

  /**
   * Keys installed before certificates existed get theirs on first read, when the server
   * holds the private key to sign it. Written only onto the key it was made for and only if
   * still missing, so a concurrent read or a replaced key keeps what is stored.
   */
  private async withCertificate(app: App, signing: CodeSigning): Promise<CodeSigning> {
    if (signing.certificatePem || !signing.secretId) return signing;
    const privateKey = await this.privateKeyFor(app);
    if (!privateKey) return signing;
    const certificatePem = await certificateFor(app, signing.publicKeyPem, privateKey);
    const [stored] = await this.database
      .update(apps)
      .set({
        settings: sql`json_set(${apps.settings}, '$.codeSigning.certificatePem', ${certificatePem})`,
      })
      .where(
        and(
          eq(apps.id, app.id),
          sql`json_extract(${apps.settings}, '$.codeSigning.keyId') = ${signing.keyId}`,
          sql`json_extract(${apps.settings}, '$.codeSigning.certificatePem') IS NULL`,
        ),
      )
      .returning({ id: apps.id });
    if (!stored) {
      const current = codeSigningOf(await this.apps.findOwnedApp(app.orgId, app.id));
      if (!current) throw new AppError('NOT_FOUND', 'This app has no code-signing key');
      return current;
    }
    await this.env.CACHE.delete(cacheKeys.app(app.id));
    return { ...signing, certificatePem };
  }

  private async install(
    actor: Actor,
    app: App,
    key: {
      publicKeyPem: string;
      privateKeyPem: string | null;
      certificatePem: string | undefined;
      source: CodeSigning['source'];
    },
  ): Promise<CodeSigning> {
    const { publicKeyPem, privateKeyPem, source } = key;
    const userId = actor.kind === 'system' ? null : actor.userId;
    if (privateKeyPem && !userId) {
      throw new AppError('FORBIDDEN', 'This key has no user to own the private key');
    }
    const previous = codeSigningOf(app);
    const secretId = privateKeyPem ? newId('secret') : null;
    const signing: CodeSigning = {
      keyId: await keyIdOf(publicKeyPem),
      publicKeyPem,
      secretId,
      source,
      createdAt: new Date().toISOString(),
      ...(key.certificatePem ? { certificatePem: key.certificatePem } : {}),
    };
    const encrypted = privateKeyPem
      ? await encryptSecret(await importSecretKey(this.env.SECRETS_ENCRYPTION_KEY), privateKeyPem)
      : null;
    const [bumped] = await this.database.batch([
      bumpAppChannels(this.database, app.id),
      this.database
        .update(apps)
        .set({ settings: { ...(app.settings ?? {}), codeSigning: signing } })
        .where(eq(apps.id, app.id)),
      ...(secretId && encrypted && userId
        ? [
            this.database.insert(userSecrets).values({
              id: secretId,
              orgId: app.orgId,
              userId,
              provider: 'skypatch',
              secretType: 'code_signing_key',
              displayName: `Code signing key of ${app.name}`,
              encryptedValue: encrypted,
              keyPreview: previewSecret(signing.keyId),
            }),
          ]
        : []),
      // The key it replaces goes: an old private key must not linger.
      this.database
        .delete(userSecrets)
        .where(and(eq(userSecrets.id, previous?.secretId ?? ''), eq(userSecrets.orgId, app.orgId))),
      this.audit(actor, {
        orgId: app.orgId,
        action: 'code_signing.set',
        resourceType: 'app',
        resourceId: app.id,
        before: previous ? { keyId: previous.keyId } : undefined,
        after: {
          keyId: signing.keyId,
          source,
          holdsPrivateKey: secretId !== null,
          hasCertificate: key.certificatePem !== undefined,
        },
      }),
    ]);
    await publishCacheChanges(this.env.CACHE, {
      versions: bumped,
      forget: [cacheKeys.app(app.id)],
    });
    return signing;
  }
}

/** The app's self-signed certificate, named after the app (its id if the name is blank). */
function certificateFor(app: App, publicKeyPem: string, privateKey: CryptoKey): Promise<string> {
  return createCodeSigningCertificate({
    publicKeyPem,
    privateKey,
    commonName: app.name.trim() || `Skypatch ${app.id}`,
  });
}

/** Whether the private key signs what the public key verifies. */
async function isKeyPair(publicKey: CryptoKey, privateKey: CryptoKey): Promise<boolean> {
  const probe = new TextEncoder().encode('skypatch key pair check');
  const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', privateKey, probe);
  return crypto.subtle.verify('RSASSA-PKCS1-v1_5', publicKey, signature, probe);
}

/**
 * Why a package fails the app's signing requirement, or null when it passes (or the app has no
 * key). `signatures` are the contents of its `.codepushrelease` entries.
 */
export async function signatureProblem(
  signing: CodeSigning | null,
  packageHash: string,
  signatures: ReadonlyMap<string, Uint8Array>,
): Promise<string | null> {
  if (!signing) return null;
  const token = [...signatures.entries()].find(([path]) => isSignatureEntry(path))?.[1];
  if (!token)
    return 'This app requires signed releases: the package has no .codepushrelease signature';
  try {
    const key = await importSPKI(signing.publicKeyPem, ALGORITHM);
    const { payload } = await jwtVerify(new TextDecoder().decode(token).trim(), key, {
      algorithms: [ALGORITHM],
    });
    if (payload.contentHash !== packageHash) {
      return 'The signature is for other contents: its contentHash is not the package hash';
    }
    return null;
  } catch {
    return `The signature does not verify with the app's public key ${signing.keyId}`;
  }
}
