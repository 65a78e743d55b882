import { z } from 'zod';
import { fromBase64Url, toBase64Url } from './encoding';
import { AppError } from './errors';

// Lists page with opaque cursors over (created_at, id), never offsets: stable under inserts
// and one index seek per page however deep the reader goes.
export interface Cursor {
  createdAt: number; // epoch ms
  id: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function encodeCursor(cursor: Cursor): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify([cursor.createdAt, cursor.id])));
}

export function decodeCursor(text: string): Cursor {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(fromBase64Url(text)));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      // A safe integer can still be beyond Date's range (±8.64e15 ms): an Invalid Date.
      !Number.isNaN(new Date(value[0]).getTime()) &&
      typeof value[1] === 'string'
    ) {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // fall through to the error below: a cursor is either ours or invalid
  }
  throw new AppError('BAD_REQUEST', 'Invalid cursor');
}

/** The paging part of every list input. */
export const PageInput = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
});

/**
 * Turns `limit + 1` fetched rows into a page and the cursor of the next one. `sortedAt` names
 * the timestamp the list is ordered by (created_at for most, timestamp for the audit log).
 */
export function toPage<T extends { id: string }>(
  rows: T[],
  limit: number,
  sortedAt: (row: T) => Date,
): Page<T> {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return {
    items,
    nextCursor:
      hasMore && last ? encodeCursor({ createdAt: sortedAt(last).getTime(), id: last.id }) : null,
  };
}
