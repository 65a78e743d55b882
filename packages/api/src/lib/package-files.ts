import { Unzip, type UnzipFile, UnzipInflate } from 'fflate';

const SLICE_BYTES = 16 * 1024;

/**
 * The contents of the zip entries `wanted` picks, read in one streaming pass. Only call it on a
 * package `inspectPackage` has already accepted: names, sizes and integrity are checked there.
 */
export async function readZipFiles(
  body: ReadableStream<Uint8Array>,
  wanted: (path: string) => boolean,
): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  let failure: Error | null = null;
  const unzip = new Unzip((file: UnzipFile) => {
    if (!wanted(file.name) || file.name.endsWith('/')) return;
    const chunks: Uint8Array[] = [];
    file.ondata = (error, chunk, final) => {
      if (error) {
        failure ??= error;
        return;
      }
      chunks.push(chunk);
      if (final) files.set(file.name, concat(chunks));
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (let at = 0; at < value.length; at += SLICE_BYTES) {
      unzip.push(value.subarray(at, at + SLICE_BYTES), false);
    }
  }
  unzip.push(new Uint8Array(0), true);
  if (failure) throw failure;
  return files;
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

const BUNDLE_NAME = /\.(bundle|jsbundle|hbc|js)$/;

/** The JS bundle of a package: the largest entry with a bundle-like name. */
export function mainBundlePath(entries: readonly { path: string; size: number }[]): string | null {
  let best: { path: string; size: number } | null = null;
  for (const entry of entries) {
    if (BUNDLE_NAME.test(entry.path) && (!best || entry.size > best.size)) best = entry;
  }
  return best?.path ?? null;
}
