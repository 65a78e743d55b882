// BENCH_PROFILE=1: a V8 CPU profile of the Worker's isolate during the timed run, through
// workerd's inspector (Chrome DevTools protocol). Profiling slows the run, so its numbers are
// for finding hot spots, not for the table.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function devtools(inspectorPort: number, workerName: string) {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as
    | Array<{ title: string; webSocketDebuggerUrl: string }>
    | undefined;
  const target = targets?.find((t) => t.title.endsWith(`:${workerName}`));
  if (!target) throw new Error(`No inspector target for ${workerName}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', reject, { once: true });
  });
  let lastId = 0;
  const pending = new Map<number, (result: unknown) => void>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const send = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve) => {
      lastId += 1;
      pending.set(lastId, resolve as (result: unknown) => void);
      socket.send(JSON.stringify({ id: lastId, method, params }));
    });
  return { send, close: () => socket.close() };
}

/**
 * Starts profiling; the returned function stops, saves the profile and prints a summary and
 * the isolate's heap (Workers allow an isolate 128 MB).
 */
export async function startProfile(inspectorPort: number, workerName: string, label: string) {
  const session = await devtools(inspectorPort, workerName);
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 500 });
  await session.send('Profiler.start');
  return async () => {
    const { profile } = await session.send<{ profile: Profile }>('Profiler.stop');
    const heap = await session.send<{ usedSize: number; totalSize: number }>(
      'Runtime.getHeapUsage',
    );
    session.close();
    const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
    console.log(
      `\n  V8 heap of ${label}'s isolate at the end: ${mb(heap.usedSize)} MB used of ${mb(heap.totalSize)} MB`,
    );
    const path = join(tmpdir(), `skypatch-bench-${label.replace(/\W+/g, '-')}.cpuprofile`);
    writeFileSync(path, JSON.stringify(profile));
    summarise(profile, label, path);
  };
}

function summarise(profile: Profile, label: string, path: string): void {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parents.set(child, node.id);
  const name = (node: ProfileNode) => {
    const file = node.callFrame.url.split('/').pop() ?? '';
    return `${node.callFrame.functionName || '(anonymous)'}${file ? ` ${file}:${node.callFrame.lineNumber + 1}` : ''}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const sample of profile.samples) {
    const node = nodes.get(sample);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    busy += 1;
    self.set(name(node), (self.get(name(node)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parents.get(id)) {
      const ancestor = nodes.get(id);
      if (!ancestor || ancestor.callFrame.functionName === '(root)') continue;
      const key = name(ancestor);
      if (!seen.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + 1);
      seen.add(key);
    }
  }
  const top = (counts: Map<string, number>, limit: number) =>
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(
        ([key, count]) =>
          `    ${((100 * count) / Math.max(1, busy)).toFixed(1).padStart(5)}%  ${key}`,
      )
      .join('\n');
  console.log(`\n  CPU profile of ${label} (${busy} busy samples; saved to ${path}):`);
  console.log(`   self time:\n${top(self, 15)}`);
  console.log(`   inclusive time:\n${top(inclusive, 25)}`);
}
