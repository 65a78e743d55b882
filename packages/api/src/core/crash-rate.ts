/**
 * The crash-rate rule of release health (docs/delivery.md, "Crash-rate auto-rollback"), pure:
 * counters and an app's settings in, a decision out. The rate is judged by the lower bound of
 * its 95% Wilson score interval, not the raw ratio, so a handful of early crashes on a few
 * installs does not pull a release that is fine.
 */

/** 95% two-sided. */
export const WILSON_Z = 1.96;
/** The sample a release needs when the app sets a threshold but no minimum. */
export const DEFAULT_MIN_INSTALLS = 50;

export interface CrashRateSettings {
  crashRollbackThreshold?: number;
  crashRollbackMinInstalls?: number;
  crashRollbackAction?: 'rollback' | 'pause';
}

export interface CrashCounters {
  installs: number;
  crashes: number;
}

export type CrashDecision =
  | { act: false }
  | {
      act: true;
      action: 'rollback' | 'pause';
      rate: number;
      lowerBound: number;
      installs: number;
      threshold: number;
      reason: string;
    };

/**
 * The lower bound of the Wilson score interval of `successes` out of `trials`:
 * (p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), with p = successes / n. 0 for no trials.
 */
export function wilsonLowerBound(successes: number, trials: number, z = WILSON_Z): number {
  if (trials <= 0) return 0;
  const n = trials;
  const p = Math.min(Math.max(successes, 0), n) / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.max(0, (centre - margin) / (1 + z2 / n));
}

const percent = (value: number, digits: number) => `${Number((value * 100).toFixed(digits))}%`;

/**
 * Whether a release's counters cross its app's threshold. Only apps that set
 * crashRollbackThreshold take part; the release needs at least crashRollbackMinInstalls
 * installs (DEFAULT_MIN_INSTALLS when unset); then it is acted on when the Wilson lower bound
 * of crashes / installs is strictly above the threshold. Crashes are counted as events, so a
 * device can crash more than once: the rate is capped at 1.
 */
export function crashDecision(
  settings: CrashRateSettings | null | undefined,
  counters: CrashCounters,
): CrashDecision {
  const threshold = settings?.crashRollbackThreshold;
  if (threshold === undefined || threshold === null) return { act: false };
  const minInstalls = settings?.crashRollbackMinInstalls ?? DEFAULT_MIN_INSTALLS;
  const { installs } = counters;
  if (installs <= 0 || installs < minInstalls) return { act: false };
  const crashes = Math.min(Math.max(counters.crashes, 0), installs);
  const lowerBound = wilsonLowerBound(crashes, installs);
  if (!(lowerBound > threshold)) return { act: false };
  const rate = crashes / installs;
  return {
    act: true,
    action: settings?.crashRollbackAction ?? 'rollback',
    rate,
    lowerBound,
    installs,
    threshold,
    reason:
      `Crash rate ${percent(rate, 1)} (Wilson lower bound ${percent(lowerBound, 1)}) over ` +
      `${installs} installs passed the ${percent(threshold, 2)} threshold`,
  };
}
