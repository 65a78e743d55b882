// Shorebird's patch check (specs/shorebird.md §3), as an unmodified Flutter app's updater
// sends it for release 1.0.0+1 on Android arm64.
import type { BenchRequest } from '../lib/load';
import { type Scenario, VARIANTS_PER_APP } from '../lib/scenario';
import { type BenchApp, PATCH_RELEASE_VERSION } from '../lib/seed';

function shorebirdRequests(app: BenchApp, random: () => number): BenchRequest[] {
  const requests: BenchRequest[] = [];
  for (let v = 0; v < VARIANTS_PER_APP; v++) {
    const body = {
      app_id: app.id,
      // A tenth of the devices follow the beta track (patch 4 where the app has one).
      channel: random() < 0.1 ? 'beta' : 'stable',
      release_version: PATCH_RELEASE_VERSION,
      platform: 'android',
      arch: 'aarch64',
      client_id: `device-${app.index}-${v}`,
    };
    requests.push({ method: 'POST', path: '/api/v1/patches/check', body: JSON.stringify(body) });
  }
  return requests;
}

export const scenario: Scenario = {
  name: 'shorebird',
  describe: 'POST /api/v1/patches/check (Flutter patch check)',
  target: 'api',
  order: 4,
  requestsFor: shorebirdRequests,
  classify: (body) => {
    const answer = JSON.parse(body) as {
      patch_available: boolean;
      patch: { number: number } | null;
    };
    return answer.patch_available ? `patch ${answer.patch?.number}` : 'no patch';
  },
};
