import { sql } from 'drizzle-orm';
import { BaseService } from './base';

export interface DependencyCheck {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  ok: boolean;
  checks: { d1: DependencyCheck; r2: DependencyCheck; kv: DependencyCheck };
}

// A key no one writes: reading it proves the binding answers without touching real data.
const PROBE_KEY = 'health/probe';

export class HealthService extends BaseService {
  async check(): Promise<HealthReport> {
    const [d1, r2, kv] = await Promise.all([
      this.probe(() => this.database.run(sql`SELECT 1`)),
      this.probe(() => this.env.BUNDLES.head(PROBE_KEY)),
      this.probe(() => this.env.CACHE.get(PROBE_KEY)),
    ]);
    return { ok: d1.ok && r2.ok && kv.ok, checks: { d1, r2, kv } };
  }

  private async probe(operation: () => Promise<unknown>): Promise<DependencyCheck> {
    const started = Date.now();
    try {
      await operation();
      return { ok: true, latencyMs: Date.now() - started };
    } catch (error) {
      this.logger.warn('Health probe failed', { error });
      // The message names the failing dependency only; details stay in the log.
      return { ok: false, latencyMs: Date.now() - started, error: 'unreachable' };
    }
  }
}
