import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './crypto';
import { codePushPackageHash } from './package-hash';
import { inspectPackage, PackageRejected, unsafeEntryName } from './package-inspect';

const streamOf = (bytes: Uint8Array, chunk = 7000) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += chunk)
        controller.enqueue(bytes.slice(at, at + chunk));
      controller.close();
    },
  });

async function rejection(bytes: Uint8Array, limits?: Parameters<typeof inspectPackage>[1]) {
  const error = await inspectPackage(streamOf(bytes), limits).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PackageRejected);
  return (error as Error).message; // checked on the line above
}

describe('CodePush packageHash (codepush.md §2.4)', () => {
  it('matches the code-push-server test vector for test.zip (b.txt, c.txt, d.txt)', async () => {
    const zip = zipSync({ 'b.txt': strToU8('b'), 'c.txt': strToU8('c'), 'd.txt': strToU8('d') });
    const inspected = await inspectPackage(streamOf(zip));
    expect(inspected.entries.map((e) => e.sha256.slice(0, 8))).toEqual([
      '3e23e816',
      '2e7d2c03',
      '18ac3e73',
    ]);
    expect(inspected.packageHash).toBe(
      '9e0499ce7df5c04cb304c9deed684dc137fc603cb484a5b027478143c595d80b',
    );
    expect(inspected.contentSha256).toBe(await sha256Hex(zip));
  });

  it('hashes an empty manifest to the documented value', async () => {
    expect(await codePushPackageHash([])).toBe(
      '4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945',
    );
  });

  it('leaves out directories, macOS litter and the signature file, whatever the order', async () => {
    const plain = zipSync({ 'CodePush/b.txt': strToU8('b'), 'CodePush/a.txt': strToU8('a') });
    const littered = zipSync({
      'CodePush/': new Uint8Array(0),
      '__MACOSX/CodePush/._a.txt': strToU8('junk'),
      'CodePush/.DS_Store': strToU8('junk'),
      'CodePush/a.txt': strToU8('a'),
      '.codepushrelease': strToU8('jwt'),
      'CodePush/b.txt': strToU8('b'),
    });
    const [one, two] = await Promise.all([
      inspectPackage(streamOf(plain)),
      inspectPackage(streamOf(littered)),
    ]);
    expect(two.packageHash).toBe(one.packageHash);
  });

  it('hashes a single bundle file as its bytes', async () => {
    const bundle = strToU8('console.log("hello from a bundle");\n'.repeat(1000));
    const inspected = await inspectPackage(streamOf(bundle));
    expect(inspected.kind).toBe('file');
    expect(inspected.packageHash).toBe(await sha256Hex(bundle));
    expect(inspected.size).toBe(bundle.length);
  });
});

describe('package validation', () => {
  it.each([
    ['../../etc/evil.js', 'a ".." segment'],
    ['CodePush/..\\win.txt', 'a backslash'],
    ['/abs.txt', 'an absolute path'],
    ['C:/boot.ini', 'a drive letter'],
    ['ok/\0.js', 'a NUL character'],
  ])('flags %j', (name, reason) => {
    expect(unsafeEntryName(name)).toBe(reason);
  });

  it('refuses a zip with an unsafe name, and nothing in it is listed', async () => {
    const zip = zipSync({ 'CodePush/index.js': strToU8('x'), '../escape.js': strToU8('y') });
    expect(await rejection(zip)).toMatch(/Unsafe entry name "\.\.\/escape\.js"/);
  });

  it('stops a zip bomb once the unpacked bytes pass the limit', async () => {
    const zip = zipSync({ 'zeros.bin': new Uint8Array(8 * 1024 * 1024) }, { level: 9 });
    expect(zip.length).toBeLessThan(64 * 1024);
    expect(await rejection(zip, { maxUncompressedBytes: 1024 * 1024, maxEntries: 10 })).toMatch(
      /exceed/,
    );
  });

  it('refuses more entries than allowed', async () => {
    const files = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`f${i}.txt`, strToU8(String(i))]),
    );
    expect(await rejection(zipSync(files), { maxUncompressedBytes: 1e6, maxEntries: 10 })).toMatch(
      /entries/,
    );
  });

  it('refuses an empty upload, an empty archive and an archive of directories only', async () => {
    expect(await rejection(new Uint8Array(0))).toMatch(/empty/);
    expect(await rejection(zipSync({}))).toMatch(/empty/);
    expect(await rejection(zipSync({ 'CodePush/': new Uint8Array(0) }))).toMatch(/no files/);
  });

  it('refuses a truncated archive and a corrupt one', async () => {
    const zip = zipSync({ 'a.js': strToU8('a'.repeat(50_000) + Math.random()) }, { level: 6 });
    expect(await rejection(zip.slice(0, Math.floor(zip.length / 2)))).toMatch(/truncated|Corrupt/);
    const corrupt = zip.slice();
    for (let i = 40; i < 200; i++) corrupt[i] = 0xff;
    expect(await rejection(corrupt)).toMatch(/Corrupt|declares|truncated/);
  });

  it('refuses an entry whose header lies about its size', async () => {
    const zip = zipSync({ 'liar.bin': new Uint8Array(20_000) }, { level: 0 });
    // The local header's uncompressed size sits at offset 22 (stored entry: sizes are equal).
    const liar = zip.slice();
    new DataView(liar.buffer).setUint32(22, 10, true);
    expect(await rejection(liar)).toMatch(/declares 10 bytes/);
  });
});
