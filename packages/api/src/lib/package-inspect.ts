import { Unzip, type UnzipFile, UnzipInflate } from 'fflate';
import { toHex } from './encoding';
import { codePushPackageHash, type HashedEntry } from './package-hash';

/**
 * One streaming pass over an uploaded package (a zip, or a single bundle file): validates it,
 * hashes every entry and the whole upload, and computes CodePush's packageHash. Nothing is
 * buffered whole: the input is fed to fflate in 16 KB slices (one pushed chunk can inflate
 * ~1000x before a callback can react, per specs/workers-libraries.md §2) and every inflated
 * byte is counted against the limit.
 */
export interface PackageLimits {
  maxUncompressedBytes: number;
  maxEntries: number;
}

export const DEFAULT_PACKAGE_LIMITS: PackageLimits = {
  maxUncompressedBytes: 256 * 1024 * 1024,
  maxEntries: 20_000,
};

export interface InspectedEntry extends HashedEntry {
  size: number;
}

export interface InspectedPackage {
  kind: 'zip' | 'file';
  /** sha256 hex of the uploaded bytes. */
  contentSha256: string;
  /** CodePush packageHash: the manifest hash for a zip, the content hash for a single file. */
  packageHash: string;
  size: number;
  /** Files of a zip (directories left out), in archive order; empty for a single file. */
  entries: InspectedEntry[];
  uncompressedSize: number;
}

/** An upload that can never become a release: not retried, reported to the uploader. */
export class PackageRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackageRejected';
  }
}

const SLICE_BYTES = 16 * 1024;
const ZIP_LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];
const ZIP_EMPTY_ARCHIVE = [0x50, 0x4b, 0x05, 0x06];

/** Why an entry name is unsafe to unpack anywhere, or null. */
export function unsafeEntryName(name: string): string | null {
  if (name.length === 0) return 'an empty name';
  if (name.includes('\0')) return 'a NUL character';
  if (name.includes('\\')) return 'a backslash';
  if (name.startsWith('/')) return 'an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'a drive letter';
  if (name.split('/').some((segment) => segment === '..')) return 'a ".." segment';
  return null;
}

const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

class DigestSink {
  private readonly stream = new crypto.DigestStream('SHA-256');
  private readonly writer = this.stream.getWriter();
  constructor() {
    // A rejected package abandons the sink; its digest must not surface as an unhandled rejection.
    this.stream.digest.catch(() => undefined);
  }
  write(chunk: Uint8Array) {
    // Queued, not awaited: fflate's callbacks are synchronous. DigestStream is native and keeps up.
    this.writer.write(chunk).catch(() => undefined);
  }
  async hex(): Promise<string> {
    await this.writer.close();
    return toHex(new Uint8Array(await this.stream.digest));
  }
}

export async function inspectPackage(
  body: ReadableStream<Uint8Array>,
  limits: PackageLimits = DEFAULT_PACKAGE_LIMITS,
): Promise<InspectedPackage> {
  const whole = new DigestSink();
  let size = 0;
  let kind: 'zip' | 'file' | null = null;
  let failure: PackageRejected | null = null;
  const reject = (message: string) => {
    failure ??= new PackageRejected(message);
  };

  const entries: InspectedEntry[] = [];
  const pending: Promise<void>[] = [];
  let unfinished = 0;
  let seen = 0;
  let uncompressed = 0;

  const unzip = new Unzip((file: UnzipFile) => {
    if (failure) return;
    const problem = unsafeEntryName(file.name);
    if (problem) return reject(`Unsafe entry name "${file.name.slice(0, 200)}": ${problem}`);
    if (++seen > limits.maxEntries) return reject(`More than ${limits.maxEntries} entries`);
    const isDirectory = file.name.endsWith('/');
    const declared = file.originalSize;
    if (declared !== undefined && uncompressed + declared > limits.maxUncompressedBytes) {
      return reject(`Declared contents exceed ${limits.maxUncompressedBytes} bytes`);
    }
    const sink = new DigestSink();
    let entryBytes = 0;
    unfinished++;
    file.ondata = (error, chunk, final) => {
      if (failure) return;
      if (error) return reject(`Corrupt entry "${file.name}": ${error.message}`);
      entryBytes += chunk.length;
      uncompressed += chunk.length;
      if (uncompressed > limits.maxUncompressedBytes) {
        return reject(`Contents exceed ${limits.maxUncompressedBytes} bytes when unpacked`);
      }
      if (isDirectory && chunk.length > 0) return reject(`Directory entry "${file.name}" has data`);
      sink.write(chunk);
      if (!final) return;
      unfinished--;
      // The size in the header must be the size inside: a liar is a bomb in disguise.
      if (declared !== undefined && declared !== entryBytes) {
        return reject(`Entry "${file.name}" declares ${declared} bytes but holds ${entryBytes}`);
      }
      if (isDirectory) return;
      pending.push(
        sink.hex().then((sha256) => {
          entries.push({ path: file.name, sha256, size: entryBytes });
        }),
      );
    };
    file.start();
  });
  unzip.register(UnzipInflate);

  const reader = body.getReader();
  const push = (slice: Uint8Array, final: boolean) => {
    try {
      unzip.push(slice, final);
    } catch (error) {
      reject(`Corrupt archive: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const feed = (chunk: Uint8Array) => {
    for (let at = 0; at < chunk.length && !failure; at += SLICE_BYTES) {
      push(chunk.subarray(at, at + SLICE_BYTES), false);
    }
  };

  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value.length === 0) continue;
    if (kind === null) {
      if (startsWith(value, ZIP_EMPTY_ARCHIVE)) reject('The archive is empty');
      kind = startsWith(value, ZIP_LOCAL_HEADER) ? 'zip' : 'file';
    }
    size += value.length;
    whole.write(value);
    if (kind === 'zip') feed(value);
    if (failure) {
      await reader.cancel().catch(() => undefined);
      throw failure;
    }
  }
  if (size === 0) throw new PackageRejected('The upload is empty');
  if (kind === 'zip') {
    push(new Uint8Array(0), true);
    if (!failure && unfinished > 0) reject('The archive is truncated');
    if (!failure && entries.length + pending.length === 0) reject('The archive holds no files');
  }
  if (failure) throw failure;
  await Promise.all(pending);
  const contentSha256 = await whole.hex();
  const isZip = kind === 'zip';
  return {
    kind: isZip ? 'zip' : 'file',
    contentSha256,
    packageHash: isZip ? await codePushPackageHash(entries) : contentSha256,
    size,
    entries,
    uncompressedSize: isZip ? uncompressed : size,
  };
}
