// CodePush's v0.1 acquisition check (specs/codepush.md §1.3), as react-native-code-push ≥ 3
// sends it: a device on the binary, or on one of the newest labels with its package hash.
import type { BenchRequest } from '../lib/load';
import { pick, type Scenario, VARIANTS_PER_APP } from '../lib/scenario';
import { APP_VERSIONS, type BenchApp } from '../lib/seed';

function codePushRequests(app: BenchApp, random: () => number): BenchRequest[] {
  const requests: BenchRequest[] = [];
  for (let v = 0; v < VARIANTS_PER_APP; v++) {
    const query = new URLSearchParams({
      deployment_key: app.deploymentKey,
      app_version: pick(APP_VERSIONS, random),
      client_unique_id: `device-${app.index}-${v}`,
    });
    if (random() >= 0.4) {
      const current = pick(app.releases.slice(-5), random);
      query.set('label', current.label);
      query.set('package_hash', current.packageHash);
    }
    requests.push({ method: 'GET', path: `/v0.1/public/codepush/update_check?${query}` });
  }
  return requests;
}

export const scenario: Scenario = {
  name: 'codepush',
  describe: 'GET /v0.1/public/codepush/update_check?deployment_key=…',
  target: 'api',
  order: 3,
  requestsFor: codePushRequests,
  classify: (body) => {
    const info = (
      JSON.parse(body) as { update_info: { is_available: boolean; download_url: string } }
    ).update_info;
    if (!info.is_available) return 'none';
    return info.download_url.includes('/diffs/') ? 'update (diff)' : 'update';
  },
};
