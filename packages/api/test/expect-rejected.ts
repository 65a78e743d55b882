import { expect } from 'vitest';

/** Every message in an error and its causes: Drizzle wraps the D1 error it got. */
export function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    parts.push(current.message);
    current = current.cause;
  }
  return parts.join(' <- ');
}

/** Asserts that a D1 statement fails, with a message (or cause) matching `pattern`. */
export async function expectRejected(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'expected the statement to be rejected').toBeInstanceOf(Error);
  expect(errorText(error)).toMatch(pattern);
}
