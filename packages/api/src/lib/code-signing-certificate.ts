// The self-signed X.509 certificate an Expo build embeds as `updates.codeSigningCertificate`
// (expo-updates.md §4.4-4.5): made like `npx expo-updates codesigning:generate` makes it.

import { AppError } from './errors';

type X509 = typeof import('@peculiar/x509');

let loading: Promise<X509> | undefined;

/**
 * @peculiar/x509 on first use. Its dependency injection (tsyringe) throws at load unless
 * `Reflect.getMetadata` exists, so the polyfill must run first; a dynamic import keeps that
 * order in the bundle (a static import could be hoisted above the polyfill) and keeps the
 * library out of the Worker's startup.
 */
function x509(): Promise<X509> {
  loading ??= import('reflect-metadata/lite').then(() => import('@peculiar/x509'));
  return loading;
}

const SHA256_WITH_RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

/**
 * Ten years. The client refuses every update once the certificate it was built with expires
 * (§4.5), and changing certificates means a new build, so a certificate must outlive any build
 * that embeds it; ten years does, while still ending (Expo's generator asks for the range,
 * its reference server's runs 100 years).
 */
export const CERTIFICATE_VALIDITY_YEARS = 10;
/** Starts an hour back, as public CAs do, so a device whose clock runs late still accepts it. */
const BACKDATE_MS = 60 * 60 * 1000;
/** X.520's upper bound for a commonName. */
const MAX_COMMON_NAME = 64;

export interface CertificateInfo {
  notBefore: string;
  notAfter: string;
  serialNumber: string;
}

/**
 * A self-signed code-signing certificate for `publicKeyPem`, signed by its private key:
 * KeyUsage digitalSignature and ExtendedKeyUsage codeSigning, both critical, and no
 * basicConstraints, which is what the client checks of a leaf (§4.4 step 3).
 */
export async function createCodeSigningCertificate(input: {
  publicKeyPem: string;
  privateKey: CryptoKey;
  commonName: string;
  now?: Date;
}): Promise<string> {
  const lib = await x509();
  const now = input.now ?? new Date();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CERTIFICATE_VALIDITY_YEARS);
  const name = [{ CN: [[...input.commonName].slice(0, MAX_COMMON_NAME).join('')] }];
  const certificate = await lib.X509CertificateGenerator.create({
    subject: name,
    issuer: name,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter,
    publicKey: lib.PemConverter.decodeFirst(input.publicKeyPem),
    signingKey: input.privateKey,
    signingAlgorithm: SHA256_WITH_RSA,
    extensions: [
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true),
      new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.codeSigning], true),
    ],
  });
  return certificate.toString('pem');
}

export async function certificateInfo(pem: string): Promise<CertificateInfo> {
  const certificate = new (await x509()).X509Certificate(pem);
  return {
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
    serialNumber: certificate.serialNumber,
  };
}

/**
 * A team's own certificate for `publicKeyPem`, re-encoded as one clean PEM block, or a
 * BAD_REQUEST saying why Expo builds could not use it: it must parse, certify that very key,
 * and pass the client's leaf checks (§4.4 step 3). It need not be self-signed: a leaf under
 * the team's own CA is theirs to configure.
 */
export async function acceptCodeSigningCertificate(
  pem: string,
  publicKeyPem: string,
  now = new Date(),
): Promise<string> {
  const lib = await x509();
  const refuse = (message: string) => new AppError('BAD_REQUEST', message);
  let certificate: InstanceType<X509['X509Certificate']>;
  try {
    certificate = new lib.X509Certificate(pem.trim());
  } catch {
    throw refuse('certificatePem is not a PEM X.509 certificate');
  }
  if (!(await sameKey(certificate.publicKey.rawData, lib.PemConverter.decodeFirst(publicKeyPem)))) {
    throw refuse('certificatePem certifies another key than publicKeyPem');
  }
  const keyUsage = certificate.getExtension(lib.KeyUsagesExtension);
  if (!keyUsage || !(keyUsage.usages & lib.KeyUsageFlags.digitalSignature)) {
    throw refuse('certificatePem lacks the digitalSignature key usage that expo-updates requires');
  }
  const extendedKeyUsage = certificate.getExtension(lib.ExtendedKeyUsageExtension);
  if (!extendedKeyUsage?.usages.includes(lib.ExtendedKeyUsage.codeSigning)) {
    throw refuse('certificatePem lacks the codeSigning extended key usage (1.3.6.1.5.5.7.3.3)');
  }
  if (certificate.notAfter <= now) throw refuse('certificatePem has expired');
  return certificate.toString('pem');
}

/** Two SPKI encodings of one RSA key: compared as modulus and exponent, not as bytes. */
async function sameKey(left: BufferSource, right: BufferSource): Promise<boolean> {
  const jwk = async (spki: BufferSource) => {
    try {
      const key = await crypto.subtle.importKey('spki', spki, SHA256_WITH_RSA, true, ['verify']);
      return (await crypto.subtle.exportKey('jwk', key)) as JsonWebKey;
    } catch {
      return null; // not an RSA key: it cannot be the app's
    }
  };
  const [a, b] = await Promise.all([jwk(left), jwk(right)]);
  return a !== null && b !== null && a.n === b.n && a.e === b.e;
}
