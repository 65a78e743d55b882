import { describe, expect, it } from 'vitest';
import { rolloutBucket } from '../src/core/rollout';
import {
  type CandidateRelease,
  type DeviceFacts,
  normaliseAppVersion,
  selectRelease,
} from '../src/core/selection';

// The selection core, table-driven. The history is code-push-server's own test fixture
// (codepush.md §1.4): v1..v7 = 1.0.0, 1.0.0 mandatory, 2.0.0, 1.0.0, 3.0.0 mandatory, 2.0.0, 3.0.0.

function release(label: string, range: string, extra: Partial<CandidateRelease> = {}) {
  const n = label.slice(1);
  return {
    id: `rel_${n}`,
    label,
    status: 'active' as const,
    appVersionRange: range,
    isMandatory: false,
    rolloutPercentage: 100,
    targetingRules: null,
    packageHash: `hash10${Number(n) - 1}`,
    bundleHash: `sha256:${n}`,
    ...extra,
  } satisfies CandidateRelease;
}

/** Newest first, as the channel view holds them. */
const history = [
  release('v1', '1.0.0'),
  release('v2', '1.0.0', { isMandatory: true }),
  release('v3', '2.0.0'),
  release('v4', '1.0.0'),
  release('v5', '3.0.0', { isMandatory: true }),
  release('v6', '2.0.0'),
  release('v7', '3.0.0'),
].reverse();

const device = (facts: Partial<DeviceFacts> & { appVersion: string }): DeviceFacts => ({
  hashKind: 'package',
  current: {},
  clientId: 'cid-1',
  ...facts,
});

const summary = (d: ReturnType<typeof selectRelease>) =>
  d.kind === 'update'
    ? `update ${d.release.label}${d.mandatory ? ' mandatory' : ''}`
    : d.kind === 'rollback'
      ? `rollback ${d.release?.label ?? 'binary'}`
      : `none${d.runBinary ? ' runBinary' : ''}`;

describe('selectRelease on code-push-server history', () => {
  it.each([
    [
      'binary 1.0.0: latest for 1.0.0, mandatory through v2',
      { appVersion: '1.0.0' },
      'update v4 mandatory',
    ],
    [
      'on v1 by hash: v2 was mandatory',
      { appVersion: '1.0.0', current: { hash: 'hash100' } },
      'update v4 mandatory',
    ],
    [
      'on v1 by label',
      { appVersion: '1.0.0', current: { label: 'v1', hash: 'hash100' } },
      'update v4 mandatory',
    ],
    [
      'on v2 by label: nothing mandatory after it',
      { appVersion: '1.0.0', current: { label: 'v2', hash: 'hash101' } },
      'update v4',
    ],
    [
      'on v4: up to date',
      { appVersion: '1.0.0', current: { label: 'v4', hash: 'hash103' } },
      'none',
    ],
    ['binary 2.0.0: v6, nothing mandatory for 2.0.0', { appVersion: '2.0.0' }, 'update v6'],
    ['binary 3.0.0: v7, mandatory through v5', { appVersion: '3.0.0' }, 'update v7 mandatory'],
    [
      'on v5 with 3.0.0: v7 optional',
      { appVersion: '3.0.0', current: { label: 'v5', hash: 'hash104' } },
      'update v7',
    ],
    ['binary 4.0.0: nothing targets it', { appVersion: '4.0.0' }, 'none runBinary'],
    ['prerelease 1.0.0-beta satisfies no release', { appVersion: '1.0.0-beta' }, 'none runBinary'],
    [
      'companion app ignores the binary version',
      { appVersion: '9.9.9', ignoreAppVersion: true },
      'update v7 mandatory',
    ],
    [
      'same content under another label: no update',
      { appVersion: '1.0.0', current: { hash: 'hash103' } },
      'none',
    ],
  ] as const)('%s', (_name, facts, expected) => {
    expect(summary(selectRelease(history, device(facts)))).toBe(expected);
  });
});

describe('selectRelease: pause, rollback, rollout, targeting', () => {
  const v1 = release('v1', '^1.0.0');
  const v2 = release('v2', '^1.0.0');

  it.each([
    [
      'on a rolled-back release: back to the previous one',
      [{ ...v2, status: 'rolled_back' }, v1],
      { label: 'v2' },
      'rollback v1',
    ],
    [
      'on the only release, rolled back: back to the binary',
      [{ ...v1, status: 'rolled_back' }],
      { label: 'v1' },
      'rollback binary',
    ],
    [
      'below a rolled-back release: stays',
      [{ ...v2, status: 'rolled_back' }, v1],
      { label: 'v1', hash: 'hash100' },
      'none',
    ],
    [
      'binary under a rolled-back latest: the previous release',
      [{ ...v2, status: 'rolled_back' }, v1],
      {},
      'update v1',
    ],
    [
      'on a paused release: stays on it',
      [{ ...v2, status: 'paused' }, v1],
      { label: 'v2' },
      'none',
    ],
    [
      'binary under a paused latest: the previous release',
      [{ ...v2, status: 'paused' }, v1],
      {},
      'update v1',
    ],
    [
      'rolled back but a fix is out: the fix',
      [release('v3', '^1.0.0'), { ...v2, status: 'rolled_back' }, v1],
      { label: 'v2' },
      'update v3',
    ],
  ] as const)('%s', (_name, releases, current, expected) => {
    expect(summary(selectRelease(releases, device({ appVersion: '1.2.0', current })))).toBe(
      expected,
    );
  });

  it('rolls out by CodePush bucket: in below the percentage, out above it', () => {
    // codepush.md §1.5: bucket("cid-1", "v2") = 21, bucket("My iPhone", "v2") recomputed below.
    const partial = [{ ...v2, rolloutPercentage: 50 }, v1];
    expect(rolloutBucket('cid-1', 'v2')).toBe(21);
    expect(
      summary(selectRelease(partial, device({ appVersion: '1.0.0', clientId: 'cid-1' }))),
    ).toBe('update v2');
    const outsider = ['a', 'b', 'c', 'd', 'e', 'f'].find((id) => rolloutBucket(id, 'v2') >= 50);
    expect(outsider).toBeDefined();
    expect(
      summary(selectRelease(partial, device({ appVersion: '1.0.0', clientId: outsider }))),
    ).toBe('update v1');
    // No id, no bucket: such devices wait for the full rollout.
    expect(
      summary(selectRelease(partial, device({ appVersion: '1.0.0', clientId: undefined }))),
    ).toBe('update v1');
  });

  it.each([
    ['cid-1', 'v2', 21],
    ['A5D4EE3E-8E2F-4DB3-BA67-53ED151DDC2E', 'v7', 6],
    ['My iPhone', 'v1', 69],
    ['00000000-0000-0000-0000-000000000000', 'v10', 48],
  ])('rollout vector %s / %s → bucket %i (codepush.md §1.5)', (id, tag, bucket) => {
    expect(rolloutBucket(id, tag)).toBe(bucket);
  });

  it('selects about the rollout share of 10,000 ids', () => {
    let selected = 0;
    for (let i = 0; i < 10_000; i++) if (rolloutBucket(`device-${i}`, 'v9') < 25) selected++;
    expect(selected / 10_000).toBeGreaterThan(0.23);
    expect(selected / 10_000).toBeLessThan(0.27);
  });

  it.each([
    ['device ids', { deviceIds: ['cid-9'] }, { clientId: 'cid-9' }, { clientId: 'cid-1' }],
    ['platforms', { platforms: ['ios'] }, { platform: 'ios' }, { platform: 'android' }],
    [
      'OS version range',
      { osVersions: '>=16.0.0' },
      { osVersion: '17.1' },
      { osVersion: '15.7.2' },
    ],
    [
      'attribute value',
      { attributes: { tier: 'beta' } },
      { attributes: { tier: 'beta' } },
      { attributes: { tier: 'ga' } },
    ],
    [
      'attribute any-of',
      { attributes: { cohort: [1, 2] } },
      { attributes: { cohort: 2 } },
      { attributes: {} },
    ],
  ] as const)('targets by %s', (_name, rules, matching, other) => {
    const targeted = [{ ...v2, targetingRules: rules }, v1];
    const pick = (facts: Partial<DeviceFacts>) =>
      summary(
        selectRelease(targeted as CandidateRelease[], device({ appVersion: '1.0.0', ...facts })),
      );
    expect(pick(matching as Partial<DeviceFacts>)).toBe('update v2');
    expect(pick(other as Partial<DeviceFacts>)).toBe('update v1');
  });

  it('knows the current release even when a mandatory one stops the scan above it', () => {
    const v3 = release('v3', '^1.0.0');
    const decision = selectRelease([v3, { ...v2, isMandatory: true }, v1], {
      appVersion: '1.0.0',
      hashKind: 'bundle',
      current: { releaseId: 'rel_1' },
    });
    expect(decision).toMatchObject({ kind: 'update', mandatory: true });
    expect(decision.kind === 'update' && decision.current?.id).toBe('rel_1');
  });

  it('matches native devices by release id and bundle hash', () => {
    const native = (current: DeviceFacts['current']) =>
      summary(selectRelease([v2, v1], { appVersion: '1.0.0', hashKind: 'bundle', current }));
    expect(native({ releaseId: 'rel_2' })).toBe('none');
    expect(native({ hash: 'sha256:2' })).toBe('none');
    expect(native({ releaseId: 'rel_1', hash: 'sha256:1' })).toBe('update v2');
  });
});

describe('normaliseAppVersion (codepush.md §1.3)', () => {
  it.each([
    ['1', '1.0.0'],
    ['1.0', '1.0.0'],
    ['2.0-beta', '2.0.0-beta'],
    ['1.0+metadata', '1.0.0+metadata'],
    [' 1.2.3 ', '1.2.3'],
    ['abc', null],
    ['1.2.3.4', null],
  ])('%s → %s', (raw, normal) => {
    expect(normaliseAppVersion(raw)).toBe(normal);
  });
});
