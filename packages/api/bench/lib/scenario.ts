import type { BenchRequest } from './load';
import type { BenchApp } from './seed';

/**
 * One benchmark scenario: a file in bench/scenarios exporting `scenario`. The harness
 * (bench/run.ts) owns the setup: one bundle, one seeded D1, and a fresh workerd (empty KV and
 * isolate caches) per scenario.
 */
export interface Scenario {
  /** Short name, the table's first column. */
  name: string;
  /** What it calls, for the table's legend. */
  describe: string;
  /**
   * Which Worker answers: the Skypatch bundle, the constant-JSON ceiling, or the ceiling that
   * also enqueues one telemetry message per request.
   */
  target: 'api' | 'ceiling' | 'ceiling-queue';
  /** Sorts the table; the ceiling first. */
  order: number;
  /** A few requests for one app (different devices, versions, current releases). */
  requestsFor(app: BenchApp, random: () => number): BenchRequest[];
  /** The kind of answer a 2xx body is (update, none, rollback, patch, ...), for the cold pass. */
  classify(body: string): string;
}

/** How many request variants each app gets in the pool the load draws from. */
export const VARIANTS_PER_APP = 16;

export function pick<T>(items: readonly T[], random: () => number): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}
