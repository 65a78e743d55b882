// tsyringe, under @peculiar/x509, needs the Reflect polyfill loaded first.
import 'reflect-metadata/lite';
import { env } from 'cloudflare:workers';
import {
  convertCertificatePEMToCertificate,
  convertCertificateToCertificatePEM,
  convertKeyPairPEMToKeyPair,
  generateSelfSignedCodeSigningCertificate,
  validateSelfSignedCertificate,
} from '@expo/code-signing-certificates';
import * as x509 from '@peculiar/x509';
import { CodeSigningJson, ErrorBody, UploadJobJson } from '@skypatch/protocol';
import { eq } from 'drizzle-orm';
import { strToU8, zipSync } from 'fflate';
import { exportPKCS8, exportSPKI, generateKeyPair, importSPKI, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { apps, userSecrets } from '../src/db/schema';
import { sha256Hex } from '../src/lib/crypto';
import { codePushPackageHash } from '../src/lib/package-hash';
import { decryptSecret, importSecretKey } from '../src/lib/secret-box';
import { CodeSigning, CodeSigningService } from '../src/services/code-signing';
import { createApiKey, createApp, createMember, createOrg, db } from './factories';
import { api, request } from './request';
import { settledUpload } from './uploads-settle';

// Per-app code signing: keys the server generates or is given, and signed CodePush uploads.

async function world() {
  const test = await createOrg();
  const { app, channel } = await createApp(test);
  const key = await createApiKey(test, 'owner');
  const path = `/v1/orgs/${test.org.id}/apps/${app.id}/code-signing`;
  return { test, app, channel, key, path, as: api(key.secret) };
}
type World = Awaited<ReturnType<typeof world>>;

/** A CodePush package, signed as `code-push release-react --privateKeyPath` signs it. */
async function signedPackage(text: string, privateKey: CryptoKey | null, contentHash?: string) {
  const files = { 'CodePush/index.android.bundle': strToU8(text) };
  const hash =
    contentHash ??
    (await codePushPackageHash(
      await Promise.all(
        Object.entries(files).map(async ([path, bytes]) => ({
          path,
          sha256: await sha256Hex(bytes),
        })),
      ),
    ));
  if (!privateKey) return zipSync(files);
  const jwt = await new SignJWT({ claimVersion: '1.0.0', contentHash: hash })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuedAt()
    .sign(privateKey);
  return zipSync({ ...files, 'CodePush/.codepushrelease': strToU8(jwt) });
}

async function uploadAndSettle(w: World, body: Uint8Array): Promise<UploadJobJson> {
  const res = await request<UploadJobJson>(
    'POST',
    `/v1/orgs/${w.test.org.id}/apps/${w.app.id}/channels/${w.channel.id}/uploads?appVersion=1.0.0`,
    { key: w.key.secret, raw: body, headers: { 'content-type': 'application/zip' } },
  );
  expect(res.status, res.text).toBe(202);
  return settledUpload(w.key.secret, w.test.org.id, UploadJobJson.parse(res.body).id);
}

describe('code-signing keys', () => {
  it('generates a key pair, keeps the private half encrypted, and signs with it', async () => {
    const w = await world();
    const res = await w.as.post<CodeSigningJson>(`${w.path}/generate`);
    expect(res.status, res.text).toBe(201);
    const signing = CodeSigningJson.parse(res.body);
    expect(signing).toMatchObject({ source: 'generated', holdsPrivateKey: true });
    expect(signing.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(res.text).not.toContain('PRIVATE KEY');

    const secrets = await db()
      .select()
      .from(userSecrets)
      .where(eq(userSecrets.orgId, w.test.org.id));
    expect(secrets).toHaveLength(1);
    expect(secrets[0]?.encryptedValue).toMatch(/^v1\./);
    expect(secrets[0]?.encryptedValue).not.toContain('PRIVATE KEY');

    const [app] = await db().select().from(apps).where(eq(apps.id, w.app.id));
    if (!app) throw new Error('no app');
    const privateKey = await new CodeSigningService(env).privateKeyFor(app);
    if (!privateKey) throw new Error('no private key');
    const data = strToU8('manifest');
    const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', privateKey, data);
    const publicKey = await importSPKI(signing.publicKeyPem, 'RS256');
    expect(await crypto.subtle.verify('RSASSA-PKCS1-v1_5', publicKey, signature, data)).toBe(true);

    const fetched = CodeSigningJson.parse((await w.as.get(w.path)).body);
    expect(fetched.keyId).toBe(signing.keyId);
    // The app's settings keep the key to themselves.
    expect((await w.as.get(`/v1/orgs/${w.test.org.id}/apps/${w.app.id}`)).text).not.toContain(
      'PUBLIC KEY',
    );
  });

  it('a generated key does not demand signed uploads (only the server could sign)', async () => {
    const w = await world();
    await w.as.post(`${w.path}/generate`);
    expect((await uploadAndSettle(w, await signedPackage('server-held key', null))).status).toBe(
      'complete',
    );
  });

  it('replacing a key deletes the old private key; deleting removes both', async () => {
    const w = await world();
    await w.as.post(`${w.path}/generate`);
    await w.as.post(`${w.path}/generate`);
    expect(
      await db().select().from(userSecrets).where(eq(userSecrets.orgId, w.test.org.id)),
    ).toHaveLength(1);
    expect((await w.as.delete(w.path)).status).toBe(204);
    expect(
      await db().select().from(userSecrets).where(eq(userSecrets.orgId, w.test.org.id)),
    ).toHaveLength(0);
    expect((await w.as.get(w.path)).status).toBe(404);
    expect((await w.as.get(`${w.path}/certificate`)).status).toBe(404);
  });

  it('refuses keys that are not PEM, and callers below admin', async () => {
    const w = await world();
    const bad = await w.as.put(w.path, { publicKeyPem: 'x'.repeat(200) });
    expect(bad.status, bad.text).toBe(400);
    const dev = await createMember(w.test, 'developer');
    expect((await api(dev.accessToken).post(`${w.path}/generate`)).status).toBe(403);
    expect((await w.as.get(w.path)).status).toBe(404);
  });
});

describe('signed uploads (codepush.md §3)', () => {
  async function withTeamKey() {
    const w = await world();
    const pair = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const res = await w.as.put<CodeSigningJson>(w.path, {
      publicKeyPem: await exportSPKI(pair.publicKey),
    });
    expect(res.status, res.text).toBe(200);
    expect(CodeSigningJson.parse(res.body)).toMatchObject({
      source: 'uploaded',
      holdsPrivateKey: false,
    });
    return { ...w, privateKey: pair.privateKey };
  }

  it('accepts a package signed with the matching key', async () => {
    const w = await withTeamKey();
    const job = await uploadAndSettle(w, await signedPackage('signed', w.privateKey));
    expect(job.status, job.error ?? '').toBe('complete');
  });

  it('refuses an unsigned package, another key, and a signature over other contents', async () => {
    const w = await withTeamKey();
    const unsigned = await uploadAndSettle(w, await signedPackage('unsigned', null));
    expect(unsigned.error).toMatch(/requires signed releases/);
    const other = await generateKeyPair('RS256', { modulusLength: 2048 });
    const wrongKey = await uploadAndSettle(w, await signedPackage('other key', other.privateKey));
    expect(wrongKey.error).toMatch(/does not verify/);
    const wrongHash = await uploadAndSettle(
      w,
      await signedPackage('other hash', w.privateKey, 'f'.repeat(64)),
    );
    expect(wrongHash.error).toMatch(/other contents/);
  });

  it('stops requiring signatures once the key is deleted', async () => {
    const w = await withTeamKey();
    await w.as.delete(w.path);
    expect((await uploadAndSettle(w, await signedPackage('free again', null))).status).toBe(
      'complete',
    );
  });

  it('takes a private key too, stored encrypted', async () => {
    const w = await world();
    const pair = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const res = await w.as.put<CodeSigningJson>(w.path, {
      publicKeyPem: await exportSPKI(pair.publicKey),
      privateKeyPem: await exportPKCS8(pair.privateKey),
    });
    expect(CodeSigningJson.parse(res.body).holdsPrivateKey).toBe(true);
  });
});

describe('code-signing certificates (expo-updates.md §4.4-4.5)', () => {
  const YEAR_MS = 365.25 * 24 * 60 * 60 * 1000;

  async function pemPair() {
    const keys = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    return {
      keys,
      publicKeyPem: await exportSPKI(keys.publicKey),
      privateKeyPem: await exportPKCS8(keys.privateKey),
    };
  }
  type PemPair = Awaited<ReturnType<typeof pemPair>>;
  type Pems = Pick<PemPair, 'publicKeyPem' | 'privateKeyPem'>;
  const pems = ({ publicKeyPem, privateKeyPem }: Pems): Pems => ({ publicKeyPem, privateKeyPem });

  /** A certificate made by Expo's own generator, as `npx expo-updates codesigning:generate`. */
  function expoCertificate(pair: Pems): string {
    return convertCertificateToCertificatePEM(
      generateSelfSignedCodeSigningCertificate({
        keyPair: convertKeyPairPEMToKeyPair({
          publicKeyPEM: pair.publicKeyPem,
          privateKeyPEM: pair.privateKeyPem,
        }),
        validityNotBefore: new Date(Date.now() - 60_000),
        validityNotAfter: new Date(Date.now() + YEAR_MS),
        commonName: 'Team certificate',
      }),
    );
  }

  /**
   * A certificate a team might upload by mistake: other usages or dates. Made with WebCrypto
   * (@peculiar/x509), as node-forge's pure-JS RSA takes about a second per certificate.
   */
  async function otherCertificate(
    pair: PemPair,
    options: { usages?: x509.KeyUsageFlags; extendedUsages?: string[]; notAfter?: Date },
  ): Promise<string> {
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=Mistake',
      keys: pair.keys,
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      notBefore: new Date(Date.now() - 2 * YEAR_MS),
      notAfter: options.notAfter ?? new Date(Date.now() + YEAR_MS),
      extensions: [
        new x509.KeyUsagesExtension(options.usages ?? x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(
          options.extendedUsages ?? [x509.ExtendedKeyUsage.codeSigning],
          true,
        ),
      ],
    });
    return certificate.toString('pem');
  }

  /** A hex serial as a number: node-forge keeps the DER sign byte (00…), others drop it. */
  const serial = (hex: string | undefined) => BigInt(`0x${hex}`);

  async function downloadCertificate(w: World): Promise<string> {
    const res = await w.as.get(`${w.path}/certificate`);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-pem-file');
    expect(res.headers.get('content-disposition')).toContain('certificate.pem');
    expect(res.text).toMatch(
      /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/,
    );
    return res.text;
  }

  /**
   * The checks Expo's own library (node-forge, not the code that made the certificate) makes
   * of a `codesigning:generate` certificate, plus what the client checks of a leaf.
   */
  function expectExpoCertificate(pem: string, pair: Pems, json: CodeSigningJson) {
    const certificate = convertCertificatePEMToCertificate(pem);
    // Throws unless self-signed, in its validity, KU digitalSignature, EKU codeSigning, the
    // signature verifies and the key is the pair's.
    validateSelfSignedCertificate(
      certificate,
      convertKeyPairPEMToKeyPair({
        publicKeyPEM: pair.publicKeyPem,
        privateKeyPEM: pair.privateKeyPem,
      }),
    );
    expect(certificate.verify(certificate)).toBe(true);
    expect(certificate.siginfo.algorithmOid).toBe('1.2.840.113549.1.1.11'); // sha256WithRSA
    // Exactly the two extensions, both critical: no basicConstraints (not a CA).
    expect(
      certificate.extensions.map((e: { name: string; critical: boolean }) => [e.name, e.critical]),
    ).toEqual([
      ['keyUsage', true],
      ['extKeyUsage', true],
    ]);
    expect(certificate.getExtension('basicConstraints')).toBeFalsy();
    expect(certificate.getExtension('keyUsage')).toMatchObject({
      digitalSignature: true,
      keyCertSign: false,
    });
    expect(certificate.getExtension('extKeyUsage')).toMatchObject({ codeSigning: true });
    expect(certificate.issuer.hash).toBe(certificate.subject.hash);
    const notBefore: Date = certificate.validity.notBefore;
    const notAfter: Date = certificate.validity.notAfter;
    expect(notBefore.getTime()).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - notBefore.getTime()).toBeLessThan(2 * 60 * 60 * 1000);
    expect((notAfter.getTime() - Date.now()) / YEAR_MS).toBeCloseTo(10, 1);
    expect(json.certificate).toEqual({
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      serialNumber: expect.any(String),
    });
    expect(serial(json.certificate?.serialNumber)).toBe(serial(certificate.serialNumber));
    return certificate;
  }

  async function storedPrivateKeyPem(w: World): Promise<string> {
    const [secret] = await db()
      .select()
      .from(userSecrets)
      .where(eq(userSecrets.orgId, w.test.org.id));
    if (!secret) throw new Error('no stored private key');
    return decryptSecret(await importSecretKey(env.SECRETS_ENCRYPTION_KEY), secret.encryptedValue);
  }

  it('comes with a generated key, self-signed for ten years, as Expo makes it', async () => {
    const w = await world();
    const signing = CodeSigningJson.parse((await w.as.post(`${w.path}/generate`)).body);
    const pem = await downloadCertificate(w);
    const pair = {
      publicKeyPem: signing.publicKeyPem,
      privateKeyPem: await storedPrivateKeyPem(w),
    };
    const certificate = expectExpoCertificate(pem, pair, signing);
    expect(certificate.subject.getField('CN').value).toBe(w.app.name);
    expect(pem).not.toContain('PRIVATE KEY');
    // GET reports the same certificate as the one made at generation.
    expect(CodeSigningJson.parse((await w.as.get(w.path)).body).certificate).toEqual(
      signing.certificate,
    );
  });

  it('is made for an uploaded key pair', async () => {
    const w = await world();
    const pair = pems(await pemPair());
    const res = await w.as.put<CodeSigningJson>(w.path, pair);
    expect(res.status, res.text).toBe(200);
    expectExpoCertificate(await downloadCertificate(w), pair, CodeSigningJson.parse(res.body));
  });

  it("keeps a team's own certificate for its public key, as codesigning:generate made it", async () => {
    const w = await world();
    const pair = await pemPair();
    const own = expoCertificate(pair);
    const res = await w.as.put<CodeSigningJson>(w.path, {
      publicKeyPem: pair.publicKeyPem,
      certificatePem: own,
    });
    expect(res.status, res.text).toBe(200);
    const signing = CodeSigningJson.parse(res.body);
    expect(signing).toMatchObject({ holdsPrivateKey: false });
    expect(serial(signing.certificate?.serialNumber)).toBe(
      serial(convertCertificatePEMToCertificate(own).serialNumber),
    );
    const strip = (pem: string) => pem.replace(/\s/g, '');
    expect(strip(await downloadCertificate(w))).toBe(strip(own));
  });

  /** Each `certificatePem` is a 400 with `message`, and the key on file stays as it was. */
  async function expectRefused(publicKeyPem: string, cases: [string, RegExp][]) {
    const w = await world();
    const pair = await pemPair();
    const original = CodeSigningJson.parse((await w.as.put(w.path, pems(pair))).body);
    for (const [certificatePem, message] of cases) {
      const res = await w.as.put(w.path, { publicKeyPem, certificatePem });
      expect(res.status, res.text).toBe(400);
      const { error } = ErrorBody.parse(res.body);
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(message);
    }
    // Nothing stored: the key on file, its private key and its certificate are untouched.
    expect(CodeSigningJson.parse((await w.as.get(w.path)).body)).toEqual(original);
    expect(
      await db().select().from(userSecrets).where(eq(userSecrets.orgId, w.test.org.id)),
    ).toHaveLength(1);
  }

  it('refuses a certificate for another key, or not a certificate; stores nothing', async () => {
    const [next, other] = [await pemPair(), await pemPair()];
    await expectRefused(next.publicKeyPem, [
      [expoCertificate(other), /another key/],
      ['x'.repeat(200), /not a PEM X\.509 certificate/],
      [
        `-----BEGIN CERTIFICATE-----\n${'QUJD'.repeat(40)}\n-----END CERTIFICATE-----\n`,
        /not a PEM X\.509 certificate/,
      ],
    ]);
  });

  it('refuses a certificate the client would reject: usages, expiry', async () => {
    const next = await pemPair();
    await expectRefused(next.publicKeyPem, [
      [
        await otherCertificate(next, { extendedUsages: [x509.ExtendedKeyUsage.serverAuth] }),
        /codeSigning/,
      ],
      [
        await otherCertificate(next, { usages: x509.KeyUsageFlags.keyEncipherment }),
        /digitalSignature/,
      ],
      [await otherCertificate(next, { notAfter: new Date(Date.now() - 60_000) }), /expired/],
    ]);
  });

  it("refuses a private key that is not the public key's", async () => {
    const w = await world();
    const [pair, other] = [await pemPair(), await pemPair()];
    const res = await w.as.put(w.path, {
      publicKeyPem: pair.publicKeyPem,
      privateKeyPem: other.privateKeyPem,
    });
    expect(res.status, res.text).toBe(400);
    expect(ErrorBody.parse(res.body).error.message).toMatch(/does not match/);
    expect((await w.as.get(w.path)).status).toBe(404);
  });

  it('is a 404 for a public key uploaded without one', async () => {
    const w = await world();
    const { publicKeyPem } = await pemPair();
    const signing = CodeSigningJson.parse((await w.as.put(w.path, { publicKeyPem })).body);
    expect(signing.certificate).toBeNull();
    const res = await w.as.get(`${w.path}/certificate`);
    expect(res.status).toBe(404);
    expect(ErrorBody.parse(res.body).error).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/no code-signing certificate/),
    });
  });

  it('is made once, on first read, for a key installed before certificates', async () => {
    const w = await world();
    await w.as.post(`${w.path}/generate`);
    // What such an app's settings hold: the key without a certificate.
    const [row] = await db().select().from(apps).where(eq(apps.id, w.app.id));
    if (!row) throw new Error('no app');
    const signing = CodeSigning.parse(row.settings?.codeSigning);
    const { certificatePem, ...legacy } = signing;
    expect(certificatePem).toMatch(/BEGIN CERTIFICATE/);
    await db()
      .update(apps)
      .set({ settings: { ...row.settings, codeSigning: legacy } })
      .where(eq(apps.id, w.app.id));

    const first = CodeSigningJson.parse((await w.as.get(w.path)).body);
    const pair = { publicKeyPem: first.publicKeyPem, privateKeyPem: await storedPrivateKeyPem(w) };
    expectExpoCertificate(await downloadCertificate(w), pair, first);
    // Stored: later reads give the same certificate, not a new one each time.
    const [stored] = await db().select().from(apps).where(eq(apps.id, w.app.id));
    expect(stored?.settings?.codeSigning).toMatchObject({
      certificatePem: expect.stringMatching(/BEGIN CERTIFICATE/),
    });
    expect(CodeSigningJson.parse((await w.as.get(w.path)).body).certificate).toEqual(
      first.certificate,
    );
  });
});
