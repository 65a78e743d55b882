// The load: autocannon at a fixed number of connections for a fixed time, each request drawn
// at random from a pool spread over every app, and a sequential-ish cold pass over every app.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface BenchRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

/** The header the device-facing checks answer with: D1 rows the request's one read scanned. */
export const D1_ROWS_HEADER = 'x-d1-rows-read';

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
}

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Mean of the D1 rows header over the responses, or null when no response carried it. */
  d1RowsPerRequest: number | null;
  /** Responses that carried the header with a value above 0 (cache misses). */
  d1Reads: number;
  bytesPerResponse: number;
  /** CPU the load generator (this process) and workerd used, in cores (1 = one full core). */
  clientCores: number;
  serverCores: number | null;
  /** Every process on the machine (/proc/stat), so what else ran shows up. */
  machineCores: number | null;
}

/** A fresh object per request: autocannon writes Content-Length into the one it is given. */
const jsonHeaders = () => ({ 'content-type': 'application/json' });

function rowsOf(headers: Record<string, unknown>): number | null {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === D1_ROWS_HEADER) {
      const rows = Number(Array.isArray(value) ? value[0] : value);
      return Number.isFinite(rows) ? rows : null;
    }
  }
  return null;
}

/** CPU seconds of every workerd process below this one (Linux /proc), or null elsewhere. */
function workerdCpuSeconds(): number | null {
  try {
    const pids = execFileSync('pgrep', ['-P', String(process.pid), 'workerd'], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
    let ticks = 0;
    for (const pid of pids) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
    }
    return pids.length > 0 ? ticks / 100 : null; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Busy CPU seconds of the whole machine since boot (Linux /proc/stat), or null elsewhere. */
function machineCpuSeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    const busy = [user, nice, system, irq, softirq, steal].reduce<number>(
      (a, b) => a + (b ?? 0),
      0,
    );
    return Number.isFinite(busy) ? busy / 100 : null;
  } catch {
    return null;
  }
}

/** Drives `pool` (picked at random per request) against `origin` with autocannon. */
export async function load(
  origin: URL,
  pool: readonly BenchRequest[],
  options: LoadOptions,
): Promise<LoadResult> {
  let rowsSum = 0;
  let rowsSeen = 0;
  let d1Reads = 0;
  // autocannon's own histogram keeps whole milliseconds; these keep microseconds.
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const serverBefore = workerdCpuSeconds();
  const machineBefore = machineCpuSeconds();
  const started = process.hrtime.bigint();
  const result = await autocannon({
    url: origin.origin,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 10,
    setupClient: (client) => {
      client.on('response', (_status, _bytes, responseTime) => {
        latencies.push(responseTime);
      });
    },
    requests: [
      {
        setupRequest: (request) => {
          const next = pool[Math.floor(Math.random() * pool.length)] ?? pool[0];
          if (!next) return request;
          return next.body === undefined
            ? { ...request, method: next.method, path: next.path, headers: {} }
            : {
                ...request,
                method: next.method,
                path: next.path,
                body: next.body,
                headers: jsonHeaders(),
              };
        },
        onResponse: (_status, _body, _context, headers) => {
          const rows = rowsOf(headers as Record<string, unknown>);
          if (rows === null) return;
          rowsSeen += 1;
          rowsSum += rows;
          if (rows > 0) d1Reads += 1;
        },
      },
    ],
  });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const serverAfter = workerdCpuSeconds();
  const machineAfter = machineCpuSeconds();
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = (stats as { count: number }).count;
  }
  const total = result.requests.total;
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: total,
    requestsPerSecond: result.requests.average,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? 0,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    d1RowsPerRequest: rowsSeen > 0 ? rowsSum / rowsSeen : null,
    d1Reads,
    bytesPerResponse: total > 0 ? result.throughput.total / total : 0,
    clientCores: (cpu.user + cpu.system) / 1e6 / elapsed,
    serverCores:
      serverBefore !== null && serverAfter !== null ? (serverAfter - serverBefore) / elapsed : null,
    machineCores:
      machineBefore !== null && machineAfter !== null
        ? (machineAfter - machineBefore) / elapsed
        : null,
  };
}

export interface ColdPass {
  requests: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  d1RowsPerRequest: number | null;
  d1Reads: number;
  /** How many answers of each kind (scenario-defined: update, none, rollback, patch, ...). */
  outcomes: Record<string, number>;
  bytesPerResponse: number;
  firstFailure: string | null;
}

/** One request per app through an empty cache, a few in flight: what a cache miss costs. */
export async function coldPass(
  origin: URL,
  requests: readonly BenchRequest[],
  classify: (body: string) => string,
  concurrency = 4,
): Promise<ColdPass> {
  const pass: ColdPass = {
    requests: 0,
    non2xx: 0,
    statusCodes: {},
    d1RowsPerRequest: null,
    d1Reads: 0,
    outcomes: {},
    bytesPerResponse: 0,
    firstFailure: null,
  };
  let rowsSum = 0;
  let rowsSeen = 0;
  let bytes = 0;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < requests.length; i = next++) {
      const request = requests[i];
      if (!request) continue;
      const response = await fetch(new URL(request.path, origin), {
        method: request.method,
        headers: request.body === undefined ? {} : jsonHeaders(),
        body: request.body,
      });
      const text = await response.text();
      pass.requests += 1;
      bytes += text.length;
      pass.statusCodes[response.status] = (pass.statusCodes[response.status] ?? 0) + 1;
      if (response.status < 200 || response.status > 299) {
        pass.non2xx += 1;
        pass.firstFailure ??= `${request.method} ${request.path} ${request.body ?? ''} → ${response.status} ${text.slice(0, 300)}`;
      } else {
        const outcome = classify(text);
        pass.outcomes[outcome] = (pass.outcomes[outcome] ?? 0) + 1;
      }
      const rows = response.headers.get(D1_ROWS_HEADER);
      if (rows !== null) {
        rowsSeen += 1;
        rowsSum += Number(rows);
        if (Number(rows) > 0) pass.d1Reads += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  pass.d1RowsPerRequest = rowsSeen > 0 ? rowsSum / rowsSeen : null;
  pass.bytesPerResponse = pass.requests > 0 ? bytes / pass.requests : 0;
  return pass;
}
