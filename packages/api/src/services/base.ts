import { and, type Column, eq, lt, or, type SQL, sql } from 'drizzle-orm';
import { type Database, DatabaseService, type ReadStrategy } from '../db';
import { auditLogs } from '../db/schema';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { createLogger, type Logger } from '../lib/log';
import { decodeCursor } from '../lib/pagination';
import { type AccessOptions, resolveOrgAccess } from './access';
import { type Actor, actorUserId, type RequestOrigin } from './actor';
import { denialReason, type OrgAccess, type Permission } from './permissions';

export interface AuditEntry {
  orgId: string | null;
  action: string; // `entity.verb`, e.g. `release.rollback`
  resourceType: string;
  resourceId: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  /** Where an anonymous attempt came from (a failed sign-in has no actor of its own). */
  origin?: RequestOrigin;
}

// Audit rows must never carry a secret, even when a caller passes a whole row by mistake.
// `secretType`, `secretId` and `tokenType` name a secret without holding one.
const REDACTED_FIELDS =
  /(password|secret(?!_?(type|id)$)|token(?!_?type$)|key_?hash|encrypted|private)/i;

export function redact(values: Record<string, unknown> | undefined) {
  if (!values) return null;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    out[key] = REDACTED_FIELDS.test(key) ? '[redacted]' : value;
  }
  return out;
}

/** Seed 004's BaseService: the database, a logger, the condition builder and one error path. */
export abstract class BaseService {
  protected readonly logger: Logger;
  protected readonly databaseService: DatabaseService;

  constructor(
    protected readonly env: Env,
    private readonly lifetime?: Pick<ExecutionContext, 'waitUntil'>,
  ) {
    this.logger = createLogger(this.constructor.name);
    this.databaseService = new DatabaseService(env);
  }

  /**
   * Work the caller need not wait for (bookkeeping writes): handed to the request's waitUntil
   * when there is one, awaited in place otherwise (tests, queues).
   */
  protected async inBackground(work: Promise<unknown>): Promise<void> {
    const logged = work.catch((error: unknown) =>
      this.logger.error('Background work failed', { error }),
    );
    if (this.lifetime) this.lifetime.waitUntil(logged);
    else await logged;
  }

  protected get database(): Database {
    return this.databaseService.db;
  }

  protected getReadDb(strategy: ReadStrategy = 'fast'): Database {
    return this.databaseService.getReadDb(strategy);
  }

  protected buildWhereConditions(conditions: (SQL | undefined)[]): SQL | undefined {
    const valid = conditions.filter((c): c is SQL => c !== undefined);
    if (valid.length === 0) return undefined;
    if (valid.length === 1) return valid[0];
    return and(...valid);
  }

  /** Rows after `cursor` in a newest-first (sortedAt DESC, id DESC) list. */
  protected afterCursor(sortedAt: Column, id: Column, cursor: string | undefined): SQL | undefined {
    if (!cursor) return undefined;
    const after = decodeCursor(cursor);
    const at = new Date(after.createdAt);
    return or(lt(sortedAt, at), and(eq(sortedAt, at), lt(id, after.id)));
  }

  /**
   * Seed 004's `enforceOwnership`, for orgs: resolves what the actor holds in `orgId` and refuses
   * (404 outside the org, 403 inside without the permission). Every service method that touches
   * an org calls it, so a route that forgets its policy still cannot leak or change anything.
   */
  protected async authorize(
    actor: Actor,
    orgId: string,
    permission: Permission,
    options?: AccessOptions,
  ): Promise<OrgAccess> {
    const access = await resolveOrgAccess(this.getReadDb('fresh'), actor, orgId, options);
    const reason = denialReason(access, permission);
    if (reason) throw new AppError('FORBIDDEN', reason);
    return access;
  }

  /**
   * The audit row of a mutation, returned unexecuted so it joins the caller's D1 batch: the
   * change and its record commit together or not at all.
   *
   * `onlyIf` turns the row into the batch's guard: when the condition is false at the moment
   * the statement runs, the row's resource_id is NULL, the NOT NULL constraint fails, and D1
   * rolls back the whole batch. Put the guarded row first; `isGuardFailure` recognises the
   * error. This is how a rule like "an org keeps one owner" holds without a transaction.
   */
  protected audit(actor: Actor, entry: AuditEntry, onlyIf?: SQL) {
    return this.database.insert(auditLogs).values({
      id: newId('audit'),
      orgId: entry.orgId,
      userId: actorUserId(actor),
      actorType: actor.kind,
      apiKeyId: actor.kind === 'api_key' ? actor.apiKeyId : null,
      action: entry.action,
      resourceType: entry.resourceType,
      resourceId: onlyIf
        ? sql<string>`(SELECT CASE WHEN ${onlyIf} THEN ${entry.resourceId} END)`
        : entry.resourceId,
      oldValues: redact(entry.before),
      newValues: redact(entry.after),
      ipAddress: entry.origin?.ip ?? (actor.kind === 'system' ? null : actor.ip),
      userAgent: entry.origin?.userAgent ?? (actor.kind === 'system' ? null : actor.userAgent),
    });
  }

  /** The one error path: log with context, rethrow what callers can map, hide the rest. */
  protected handleDatabaseError(
    error: unknown,
    operation: string,
    context?: Record<string, unknown>,
  ): never {
    if (error instanceof AppError) throw error;
    this.logger.error(`Database error in ${operation}`, { error, context });
    throw new AppError('INTERNAL', `Database error in ${operation}`);
  }
}

/** Every message in an error's cause chain: Drizzle wraps the D1 error that names the constraint. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    parts.push(current.message);
    current = current.cause;
  }
  return parts.join(' | ');
}

export function isUniqueViolation(error: unknown): boolean {
  return errorText(error).includes('UNIQUE constraint failed');
}

/** The batch was rolled back by an `audit(…, onlyIf)` guard. */
export function isGuardFailure(error: unknown): boolean {
  return errorText(error).includes('NOT NULL constraint failed: audit_logs.resource_id');
}
