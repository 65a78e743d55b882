import { sha256Hex } from './crypto';

/**
 * CodePush's packageHash (specs/codepush.md §2.4), exactly as its server and both native clients
 * compute it: `sha256(JSON.stringify(sorted "<path>:<sha256>" strings))`, over files only, with
 * macOS litter and the `.codepushrelease` signature left out.
 */
export interface HashedEntry {
  path: string;
  sha256: string; // lowercase hex of the uncompressed content
}

/** Entries every client ignores when it hashes the unzipped folder (PackageManifest.isIgnored). */
export function isIgnoredEntry(path: string): boolean {
  return path.startsWith('__MACOSX/') || path === '.DS_Store' || path.endsWith('/.DS_Store');
}

/** The signature file is hashed by nobody: it signs the hash. */
export function isSignatureEntry(path: string): boolean {
  return path === '.codepushrelease' || path.endsWith('/.codepushrelease');
}

/** The manifest lines, sorted as JS sorts strings (UTF-16 code units), as clients do. */
export function manifestLines(entries: readonly HashedEntry[]): string[] {
  return entries
    .map((entry) => ({ ...entry, path: entry.path.replace(/\\/g, '/') }))
    .filter((entry) => !isIgnoredEntry(entry.path) && !isSignatureEntry(entry.path))
    .map((entry) => `${entry.path}:${entry.sha256}`)
    .sort();
}

export async function codePushPackageHash(entries: readonly HashedEntry[]): Promise<string> {
  const text = JSON.stringify(manifestLines(entries));
  return sha256Hex(text);
}
