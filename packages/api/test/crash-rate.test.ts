import { describe, expect, it } from 'vitest';
import { crashDecision, DEFAULT_MIN_INSTALLS, wilsonLowerBound } from '../src/core/crash-rate';

// The crash-rate rule, pure and table-driven (docs/delivery.md, "Crash-rate auto-rollback").

describe('wilsonLowerBound (95%, z = 1.96)', () => {
  it.each([
    [5, 10, 0.2365896],
    [10, 10, 0.7224598],
    [30, 240, 0.0889788],
    [1, 20, 0.0088812],
    [10, 20, 0.2992949],
    [5, 100, 0.0215434],
    [12, 100, 0.0699934],
  ])('%i of %i → %f', (successes, trials, expected) => {
    expect(wilsonLowerBound(successes, trials)).toBeCloseTo(expected, 6);
  });

  it('is 0 with no successes or no trials, and caps successes at the trials', () => {
    expect(wilsonLowerBound(0, 10)).toBe(0);
    expect(wilsonLowerBound(3, 0)).toBe(0);
    expect(wilsonLowerBound(15, 10)).toBe(wilsonLowerBound(10, 10));
  });
});

describe('crashDecision', () => {
  const settings = { crashRollbackThreshold: 0.05, crashRollbackMinInstalls: 20 };

  it.each([
    ['no settings', null, { installs: 1000, crashes: 900 }],
    ['no threshold', { crashRollbackMinInstalls: 20 }, { installs: 1000, crashes: 900 }],
    ['below the minimum installs', settings, { installs: 19, crashes: 19 }],
    ['no installs', settings, { installs: 0, crashes: 5 }],
    [
      'default minimum (50) not reached',
      { crashRollbackThreshold: 0.05 },
      { installs: 49, crashes: 40 },
    ],
    // 12/100: raw rate 12% is above 5%, but the bound 6.99% is not above 7%.
    [
      'bound below the threshold',
      { ...settings, crashRollbackThreshold: 0.07 },
      { installs: 100, crashes: 12 },
    ],
    // 1/20: raw 5% = threshold, bound 0.9%.
    ['rate at the threshold', settings, { installs: 20, crashes: 1 }],
  ])('does not act: %s', (_name, appSettings, counters) => {
    expect(crashDecision(appSettings, counters)).toEqual({ act: false });
  });

  it('acts when the bound is above the threshold, with the reason', () => {
    expect(crashDecision({ crashRollbackThreshold: 0.05 }, { installs: 240, crashes: 30 })).toEqual(
      {
        act: true,
        action: 'rollback',
        rate: 0.125,
        lowerBound: wilsonLowerBound(30, 240),
        installs: 240,
        threshold: 0.05,
        reason:
          'Crash rate 12.5% (Wilson lower bound 8.9%) over 240 installs passed the 5% threshold',
      },
    );
  });

  it('acts at exactly the minimum installs, and pauses when the app says so', () => {
    const decision = crashDecision(
      { ...settings, crashRollbackAction: 'pause' },
      { installs: 20, crashes: 10 },
    );
    expect(decision).toMatchObject({ act: true, action: 'pause', rate: 0.5 });
    expect(DEFAULT_MIN_INSTALLS).toBe(50);
    expect(
      crashDecision({ crashRollbackThreshold: 0.05 }, { installs: 50, crashes: 25 }),
    ).toMatchObject({ act: true });
  });

  it('treats a zero threshold as "any crash, once the bound leaves 0"', () => {
    expect(crashDecision({ crashRollbackThreshold: 0 }, { installs: 50, crashes: 0 })).toEqual({
      act: false,
    });
    expect(
      crashDecision({ crashRollbackThreshold: 0 }, { installs: 50, crashes: 1 }),
    ).toMatchObject({
      act: true,
    });
  });
});
