// `npm run bench`: runs every scenario in bench/scenarios and prints one table. Benchmarks are
// scripts, never timed tests. The update-check scenarios (native, CodePush, Shorebird against a
// constant-JSON ceiling Worker on workerd, with D1 rows read per check) land with the delivery
// work; until then the harness reports that it has nothing to run.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ScenarioResult {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  d1RowsReadPerRequest?: number;
}

const scenariosDir = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');
const files = (() => {
  try {
    return readdirSync(scenariosDir)
      .filter((file) => file.endsWith('.ts'))
      .sort();
  } catch {
    return [];
  }
})();

if (files.length === 0) {
  console.log('No benchmark scenarios yet (bench/scenarios/*.ts). Nothing to measure.');
} else {
  const results: ScenarioResult[] = [];
  for (const file of files) {
    const scenario = (await import(join(scenariosDir, file))) as {
      run: () => Promise<ScenarioResult>;
    };
    results.push(await scenario.run());
  }
  console.table(results);
}
