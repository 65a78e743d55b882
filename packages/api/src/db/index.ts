import { type DrizzleD1Database, drizzle } from 'drizzle-orm/d1';
import * as schema from './schema';

export type Database = DrizzleD1Database<typeof schema>;

/** Seed 000's entry point: a typed Drizzle client over a D1 binding. */
export function getDb(d1: D1Database): Database {
  return drizzle(d1, { schema });
}

/**
 * How fresh a read must be, when D1 read replication is on (seed 004's getReadDb):
 * - 'fast'  → `first-unconstrained`: any replica; for update checks and public pages.
 * - 'fresh' → `first-primary`: the primary; for reads that authorize a request or follow a write.
 */
export type ReadStrategy = 'fast' | 'fresh';
const SESSION_CONSTRAINT = {
  fast: 'first-unconstrained',
  fresh: 'first-primary',
} as const satisfies Record<ReadStrategy, D1SessionConstraint>;

export interface DatabaseEnv {
  DB: D1Database;
  ENABLE_READ_REPLICAS?: string;
}

/**
 * Seed 004's DatabaseService. When SENTRY_DSN is set, `env.DB` arrives already instrumented by
 * `withSentry` in src/index.ts (Sentry 11 wraps every D1 binding of the env it hands on).
 */
export class DatabaseService {
  readonly db: Database;
  private readonly d1: D1Database;
  private readonly enableReplicas: boolean;

  constructor(env: DatabaseEnv) {
    this.d1 = env.DB;
    this.db = getDb(env.DB);
    this.enableReplicas = env.ENABLE_READ_REPLICAS === 'true';
  }

  getReadDb(strategy: ReadStrategy = 'fast'): Database {
    if (!this.enableReplicas) return this.db;
    // D1's Sessions API takes a constraint, not seed 004's `{ strategy }` object.
    // A session exposes prepare() and batch(), all Drizzle calls; its type just lacks exec/dump.
    const session = this.d1.withSession(SESSION_CONSTRAINT[strategy]) as unknown as D1Database;
    return drizzle(session, { schema });
  }
}

export function createDatabaseService(env: DatabaseEnv): DatabaseService {
  return new DatabaseService(env);
}

export type { InferInsertModel, InferSelectModel } from 'drizzle-orm';
export { schema };
