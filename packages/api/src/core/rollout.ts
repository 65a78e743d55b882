/**
 * CodePush's rollout bucket (specs/codepush.md §1.5), ported exactly so a device gets the same
 * answer from Skypatch as from code-push-server: a Java-style string hash of
 * `<clientId>-<label>` in which `<<` truncates to int32 but the subtraction and addition do not,
 * so the result can leave the int32 range. Selected when the bucket is below the percentage.
 */
export function rolloutBucket(clientId: string, releaseTag: string): number {
  const text = `${clientId}-${releaseTag}`;
  let hash = 0;
  for (let i = 0; i < text.length; i++) {
    hash = (hash << 5) - hash + text.charCodeAt(i);
  }
  return Math.abs(hash) % 100;
}
