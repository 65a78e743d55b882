import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  forgetInIsolate,
  MEMO_BUDGET_CHARS,
  memoChars,
  readThrough,
  remembered,
} from '../src/delivery/cache';

// The isolate memo of the update check stays inside its budget: a Worker has 128 MB.

describe('the isolate memo', () => {
  it('evicts its oldest entries to stay within its budget', async () => {
    forgetInIsolate();
    const big = 'x'.repeat(Math.floor(MEMO_BUDGET_CHARS / 2.5));
    const keys = ['memo:first', 'memo:second', 'memo:third'];
    for (const memoKey of keys) {
      const value = await readThrough({
        kv: env.CACHE,
        memoKey,
        stampKey: `stamp:${memoKey}`,
        viewKey: (stamp) => `view:${memoKey}:${stamp}`,
        load: async () => big,
        shareable: () => false, // memory only: this test is about the isolate
        waitUntil: () => {},
      });
      expect(value).toBe(big);
    }
    expect(memoChars()).toBeLessThanOrEqual(MEMO_BUDGET_CHARS);
    expect(remembered('memo:first')).toBeUndefined();
    expect(remembered('memo:third')?.value).toBe(big);
  });
});
