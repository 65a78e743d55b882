/**
 * Seed 004's soft delete: users, orgs and apps get `deleted_at` instead of vanishing. For this
 * long they can be restored; after it, the daily purge (services/purge.ts) deletes them.
 */
export const SOFT_DELETE_GRACE_DAYS = 30;
export const SOFT_DELETE_GRACE_MS = SOFT_DELETE_GRACE_DAYS * 24 * 60 * 60 * 1000;

export function isRestorable(deletedAt: Date | null, now = new Date()): boolean {
  return deletedAt !== null && now.getTime() - deletedAt.getTime() < SOFT_DELETE_GRACE_MS;
}

export function purgeCutoff(now = new Date()): Date {
  return new Date(now.getTime() - SOFT_DELETE_GRACE_MS);
}
