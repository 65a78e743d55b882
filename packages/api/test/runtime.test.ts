import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  runInDurableObject,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { CRON, jobs, scheduled } from '../src/cron';
import type { UploadStatus, UploadStatusDO } from '../src/durable-objects/upload-status';
import worker, { handlerFor } from '../src/index';
import { newId } from '../src/lib/ids';
import { consumers, queue } from '../src/queues';

// The Worker's non-HTTP entry points: the upload-status Durable Object, the queue dispatcher,
// the cron dispatcher, and the Sentry switch in front of all of them.

// wrangler types declares the binding without its class; the class is UploadStatusDO.
const uploadStatus = env.UPLOAD_STATUS as unknown as DurableObjectNamespace<UploadStatusDO>;

/** A fresh Durable Object per test: one instance per upload job id. */
function statusStub(jobId = newId('uploadJob')) {
  return { jobId, stub: uploadStatus.get(uploadStatus.idFromName(jobId)) };
}

/** Collects a WebSocket's text messages and hands them out in order. */
function messageQueue(socket: WebSocket) {
  const received: string[] = [];
  const waiting: Array<(message: string) => void> = [];
  socket.addEventListener('message', (event) => {
    const data = typeof event.data === 'string' ? event.data : new TextDecoder().decode(event.data);
    const next = waiting.shift();
    if (next) next(data);
    else received.push(data);
  });
  return {
    next(): Promise<string> {
      const ready = received.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve) => waiting.push(resolve));
    },
    pending: () => received.length,
  };
}

async function connect(stub: DurableObjectStub<UploadStatusDO>) {
  const res = await stub.fetch('https://upload-status.test/ws', {
    headers: { Upgrade: 'websocket' },
  });
  expect(res.status).toBe(101);
  const socket = res.webSocket;
  if (!socket) throw new Error('no WebSocket in the 101 response');
  const messages = messageQueue(socket);
  socket.accept();
  return { socket, messages };
}

const parseStatus = (text: string) => JSON.parse(text) as UploadStatus;

describe('UploadStatusDO over RPC', () => {
  it('has no state before the first update', async () => {
    const { stub } = statusStub();
    expect(await stub.getStatus()).toBeNull();
  });

  it('stores each update and answers it from getStatus()', async () => {
    const { jobId, stub } = statusStub();
    const first = await stub.updateStatus(jobId, { status: 'processing', progress: 40 });
    expect(first).toMatchObject({ jobId, status: 'processing', progress: 40 });
    expect(Number.isNaN(Date.parse(first.updatedAt))).toBe(false);
    expect(await stub.getStatus()).toEqual(first);

    // A missing progress keeps the last one; a fractional one is rounded.
    expect(await stub.updateStatus(jobId, { status: 'processing' })).toMatchObject({
      progress: 40,
    });
    expect(await stub.updateStatus(jobId, { status: 'processing', progress: 62.6 })).toMatchObject({
      progress: 63,
    });
    expect(await stub.getStatus()).toMatchObject({ status: 'processing', progress: 63 });
  });

  it('clamps progress to 0-100', async () => {
    const { jobId, stub } = statusStub();
    expect(await stub.updateStatus(jobId, { status: 'processing', progress: 250 })).toMatchObject({
      progress: 100,
    });
    expect(await stub.updateStatus(jobId, { status: 'processing', progress: -20 })).toMatchObject({
      progress: 0,
    });
  });

  it('forces progress to 100 on completion', async () => {
    const { jobId, stub } = statusStub();
    await stub.updateStatus(jobId, { status: 'processing', progress: 10 });
    expect(await stub.updateStatus(jobId, { status: 'complete', progress: 55 })).toMatchObject({
      status: 'complete',
      progress: 100,
    });
  });

  it('ignores updates once the job has finished', async () => {
    const completed = statusStub();
    const done = await completed.stub.updateStatus(completed.jobId, { status: 'complete' });
    const late = await completed.stub.updateStatus(completed.jobId, {
      status: 'processing',
      progress: 5,
    });
    expect(late).toEqual(done);
    expect(await completed.stub.getStatus()).toEqual(done);

    const failed = statusStub();
    const failure = await failed.stub.updateStatus(failed.jobId, {
      status: 'failed',
      progress: 30,
      error: 'bundle too large',
    });
    expect(failure).toMatchObject({ status: 'failed', progress: 30, error: 'bundle too large' });
    await failed.stub.updateStatus(failed.jobId, { status: 'complete' });
    expect(await failed.stub.getStatus()).toEqual(failure);
  });

  it('persists the state in its own storage', async () => {
    const { jobId, stub } = statusStub();
    const state = await stub.updateStatus(jobId, { status: 'processing', progress: 12 });
    const stored = await runInDurableObject(stub, (_instance, ctx) =>
      ctx.storage.get<UploadStatus>('state'),
    );
    expect(stored).toEqual(state);
  });
});

describe('UploadStatusDO over HTTP', () => {
  it('answers 404 before any state, then the state as JSON', async () => {
    const { jobId, stub } = statusStub();
    const missing = await stub.fetch('https://upload-status.test/');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });

    const state = await stub.updateStatus(jobId, { status: 'processing', progress: 70 });
    const res = await stub.fetch('https://upload-status.test/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual(state);
  });
});

describe('UploadStatusDO over WebSocket', () => {
  it('sends the current state on connect, then every later update', async () => {
    const { jobId, stub } = statusStub();
    const initial = await stub.updateStatus(jobId, { status: 'processing', progress: 20 });
    const { socket, messages } = await connect(stub);
    try {
      expect(parseStatus(await messages.next())).toEqual(initial);

      const second = await stub.updateStatus(jobId, { status: 'processing', progress: 80 });
      expect(parseStatus(await messages.next())).toEqual(second);
      const done = await stub.updateStatus(jobId, { status: 'complete' });
      expect(parseStatus(await messages.next())).toEqual(done);
      expect(done).toMatchObject({ status: 'complete', progress: 100 });
    } finally {
      socket.close(1000, 'test done');
    }
  });

  it('sends nothing on connect before any state, and the first update when it comes', async () => {
    const { jobId, stub } = statusStub();
    const { socket, messages } = await connect(stub);
    try {
      // A ping round trip proves the connection is live and that no state was queued before it.
      socket.send('ping');
      expect(await messages.next()).toBe('pong');
      const first = await stub.updateStatus(jobId, { status: 'pending' });
      expect(parseStatus(await messages.next())).toEqual(first);
      expect(messages.pending()).toBe(0);
    } finally {
      socket.close(1000, 'test done');
    }
  });

  it('broadcasts to every connected watcher', async () => {
    const { jobId, stub } = statusStub();
    const one = await connect(stub);
    const two = await connect(stub);
    try {
      const state = await stub.updateStatus(jobId, { status: 'processing', progress: 33 });
      expect(parseStatus(await one.messages.next())).toEqual(state);
      expect(parseStatus(await two.messages.next())).toEqual(state);
    } finally {
      one.socket.close(1000, 'test done');
      two.socket.close(1000, 'test done');
    }
  });
});

describe('queue dispatcher', () => {
  const messages = [1, 2, 3].map((n) => ({
    id: `msg-${n}`,
    timestamp: new Date(1_700_000_000_000 + n),
    attempts: 1,
    body: { eventId: `event-${n}` },
  }));

  it('retries the whole batch of a queue that has no consumer, acknowledging nothing', async () => {
    const name = 'skypatch-telemetry';
    // This test is about the dispatcher: take a consumer out for its duration if one landed.
    const registered = consumers[name];
    delete consumers[name];
    try {
      const batch = createMessageBatch(name, messages);
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      const result = await getQueueResult(batch, ctx);
      expect(result.outcome).toBe('ok');
      expect(result.retryBatch.retry).toBe(true);
      expect(result.ackAll).toBe(false);
      expect(result.explicitAcks).toEqual([]);
    } finally {
      if (registered) consumers[name] = registered;
    }
  });

  it('hands a batch to the consumer registered for its queue, and only that one', async () => {
    const name = `test-queue-${newId('request')}`;
    const other = `test-queue-${newId('request')}`;
    const seen: string[] = [];
    consumers[name] = async (batch) => {
      seen.push(`${batch.queue}:${batch.messages.map((message) => message.id).join(',')}`);
      for (const message of batch.messages) message.ack();
    };
    consumers[other] = async () => {
      seen.push('other');
    };
    try {
      const batch = createMessageBatch(name, messages);
      const ctx = createExecutionContext();
      await queue(batch, env, ctx);
      const result = await getQueueResult(batch, ctx);
      expect(seen).toEqual([`${name}:msg-1,msg-2,msg-3`]);
      expect(result.retryBatch.retry).toBe(false);
      expect([...result.explicitAcks].sort()).toEqual(['msg-1', 'msg-2', 'msg-3']);
    } finally {
      delete consumers[name];
      delete consumers[other];
    }
  });
});

describe('cron dispatcher', () => {
  /** Adds jobs to a cron expression for the duration of `run`, then removes exactly them. */
  async function withJobs(
    cron: string,
    added: Array<(env: Env, at: Date) => Promise<unknown>>,
    run: () => Promise<void>,
  ) {
    const list = jobs[cron];
    if (!list) throw new Error(`no job list for ${cron}`);
    list.push(...added);
    try {
      await run();
    } finally {
      for (const job of added) {
        const index = list.indexOf(job);
        if (index >= 0) list.splice(index, 1);
      }
    }
  }

  it('runs the jobs registered for the fired cron with its scheduled time', async () => {
    const scheduledTime = new Date(Date.UTC(2026, 0, 2, 3, 4, 0));
    const calls: Array<{ env: Env; at: Date }> = [];
    const dailyCalls: Date[] = [];
    await withJobs(
      CRON.everyMinute,
      [
        async (jobEnv, at) => {
          calls.push({ env: jobEnv, at });
        },
      ],
      () =>
        withJobs(
          CRON.daily,
          [
            async (_env, at) => {
              dailyCalls.push(at);
            },
          ],
          async () => {
            const ctx = createExecutionContext();
            const controller = createScheduledController({ cron: '* * * * *', scheduledTime });
            await worker.scheduled(controller, env, ctx);
            await waitOnExecutionContext(ctx);
          },
        ),
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]?.at).toBeInstanceOf(Date);
    expect(calls[0]?.at.getTime()).toBe(scheduledTime.getTime());
    expect(calls[0]?.env.DB).toBeDefined();
    // The daily job belongs to another trigger.
    expect(dailyCalls).toEqual([]);
  });

  it('keeps running the other jobs when one fails, and does not throw', async () => {
    const ran: string[] = [];
    await withJobs(
      CRON.everyMinute,
      [
        async () => {
          ran.push('first');
          throw new Error('job failed on purpose');
        },
        async () => {
          ran.push('second');
        },
      ],
      async () => {
        const ctx = createExecutionContext();
        await expect(
          scheduled(createScheduledController({ cron: '* * * * *' }), env, ctx),
        ).resolves.toBeUndefined();
        await waitOnExecutionContext(ctx);
      },
    );
    expect(ran.sort()).toEqual(['first', 'second']);
  });

  it('runs nothing for a cron expression it does not know', async () => {
    const ran: string[] = [];
    await withJobs(
      CRON.everyMinute,
      [
        async () => {
          ran.push('every minute');
        },
      ],
      async () => {
        const ctx = createExecutionContext();
        await scheduled(createScheduledController({ cron: '*/5 * * * *' }), env, ctx);
        await waitOnExecutionContext(ctx);
      },
    );
    expect(ran).toEqual([]);
  });

  it('leaves the job lists as they were', () => {
    expect(jobs[CRON.everyMinute]?.every((job) => typeof job === 'function')).toBe(true);
    expect(Object.keys(jobs).sort()).toEqual([CRON.daily, CRON.everyMinute].sort());
  });
});

describe('handlerFor', () => {
  const withoutDsn = { ...env, SENTRY_DSN: undefined };
  const withDsn = { ...env, SENTRY_DSN: 'https://k@example.invalid/1' };

  it('returns the plain handlers when SENTRY_DSN is unset', () => {
    const plain = handlerFor(withoutDsn);
    expect(handlerFor(withoutDsn)).toBe(plain);
    // Untouched: the dispatchers themselves, not wrappers around them.
    expect(plain.queue).toBe(queue);
    expect(plain.scheduled).toBe(scheduled);
  });

  it('returns a different, Sentry-wrapped handler when SENTRY_DSN is set', () => {
    const plain = handlerFor(withoutDsn);
    const instrumented = handlerFor(withDsn);
    expect(instrumented).not.toBe(plain);
    expect(handlerFor(withDsn)).toBe(instrumented);
    expect(instrumented.fetch).not.toBe(plain.fetch);
    expect(instrumented.queue).not.toBe(plain.queue);
    expect(instrumented.scheduled).not.toBe(plain.scheduled);
    expect(typeof instrumented.fetch).toBe('function');
    // Wrapping must not have modified the plain handler in place.
    expect(handlerFor(withoutDsn).queue).toBe(queue);
    expect(handlerFor(withoutDsn).scheduled).toBe(scheduled);
  });
});
