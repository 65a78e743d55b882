// The native Skypatch check (packages/protocol/src/updates.ts UpdateCheckBody): what the
// Skypatch SDK sends on launch, for a device on the binary or on one of the newest releases.
import type { BenchRequest } from '../lib/load';
import { pick, type Scenario, VARIANTS_PER_APP } from '../lib/scenario';
import { APP_VERSIONS, type BenchApp } from '../lib/seed';

const OS_VERSIONS = { ios: ['15.8', '16.4.1', '17.2', '18.1'], android: ['11', '12', '13', '14'] };

export function nativeRequests(app: BenchApp, random: () => number): BenchRequest[] {
  const requests: BenchRequest[] = [];
  for (let v = 0; v < VARIANTS_PER_APP; v++) {
    // 40% on the binary's bundle, the rest on one of the five newest releases (a diff exists
    // from three of them; one may be rolled back).
    const current = random() < 0.4 ? undefined : pick(app.releases.slice(-5), random);
    const body = {
      deploymentKey: app.deploymentKey,
      platform: app.platform,
      appVersion: pick(APP_VERSIONS, random),
      deviceId: `device-${app.index}-${v}`,
      ...(current ? { currentReleaseId: current.id } : {}),
      osVersion: pick(OS_VERSIONS[app.platform], random),
      deviceModel: app.platform === 'ios' ? 'iPhone15,2' : 'Pixel 8',
    };
    requests.push({ method: 'POST', path: '/v1/updates/check', body: JSON.stringify(body) });
  }
  return requests;
}

export const scenario: Scenario = {
  name: 'native',
  describe: 'POST /v1/updates/check (JSON body with the deployment key)',
  target: 'api',
  order: 2,
  requestsFor: nativeRequests,
  classify: (body) => {
    const answer = JSON.parse(body) as { action: string; update?: { download?: { kind: string } } };
    const kind = answer.update?.download?.kind;
    return kind && kind !== 'full' ? `${answer.action} (${kind})` : answer.action;
  },
};
