import { and, type SQL } from 'drizzle-orm';
import { type Database, DatabaseService, type ReadStrategy } from '../db';
import { auditLogs } from '../db/schema';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import { createLogger, type Logger } from '../lib/log';
import type { Actor } from './actor';

export interface AuditEntry {
  orgId: string | null;
  action: string; // `entity.verb`, e.g. `release.rollback`
  resourceType: string;
  resourceId: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

// Audit rows must never carry a secret, even when a caller passes a whole row by mistake.
const REDACTED_FIELDS = /(password|secret|token|key_?hash|encrypted|private)/i;

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

  constructor(protected readonly env: Env) {
    this.logger = createLogger(this.constructor.name);
    this.databaseService = new DatabaseService(env);
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

  /**
   * The audit row of a mutation, returned unexecuted so it joins the caller's D1 batch: the
   * change and its record commit together or not at all.
   */
  protected audit(actor: Actor, entry: AuditEntry) {
    return this.database.insert(auditLogs).values({
      id: newId('audit'),
      orgId: entry.orgId,
      userId: actor.kind === 'api_key' ? actor.userId : null,
      actorType: actor.kind === 'api_key' ? 'api_key' : 'system',
      apiKeyId: actor.kind === 'api_key' ? actor.apiKeyId : null,
      action: entry.action,
      resourceType: entry.resourceType,
      resourceId: entry.resourceId,
      oldValues: redact(entry.before),
      newValues: redact(entry.after),
      ipAddress: actor.kind === 'api_key' ? actor.ip : null,
      userAgent: actor.kind === 'api_key' ? actor.userAgent : null,
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
