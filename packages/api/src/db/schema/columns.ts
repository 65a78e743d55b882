import { integer } from 'drizzle-orm/sqlite-core';

/**
 * One timestamp convention for the whole schema: INTEGER milliseconds since the Unix epoch,
 * read and written as `Date` by Drizzle. Seeds 000/001/004 use integers; seed 003 used ISO
 * text. Milliseconds (not seconds) because "newest release" and timeline ordering must not tie
 * within a second. The mapping is written down in docs/data-model.md.
 */
export const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' });

/** `created_at` filled by the application so a batch can mint rows without a round trip. */
export const createdAt = () =>
  timestamp('created_at')
    .notNull()
    .$defaultFn(() => new Date());

export const updatedAt = () =>
  timestamp('updated_at')
    .notNull()
    .$defaultFn(() => new Date())
    .$onUpdateFn(() => new Date());

export const bool = (name: string) => integer(name, { mode: 'boolean' });
