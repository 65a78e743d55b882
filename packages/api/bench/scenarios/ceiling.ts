// The ceiling: the native check's requests against a Worker that answers a constant JSON body
// of the size of an update-check answer, on the same workerd settings. Nothing can be faster.
import type { Scenario } from '../lib/scenario';
import { nativeRequests } from './native';

/** ~300 bytes, shaped like a native "update" answer. */
export const CEILING_BODY = JSON.stringify({
  action: 'update',
  update: {
    releaseId: 'rel_bench_0000_50',
    label: 'v50',
    description: 'Release v50: fixes and improvements',
    mandatory: false,
    bundleHash: `sha256:${'0'.repeat(64)}`,
    packageHash: null,
    signature: null,
    download: {
      url: 'http://127.0.0.1:8787/downloads/app_bench_0000/rel_bench_0000_50/bundle',
      size: 1234567,
      hash: `sha256:${'0'.repeat(64)}`,
      kind: 'full',
    },
  },
});

export const scenario: Scenario = {
  name: 'ceiling',
  describe: `constant JSON Worker (${CEILING_BODY.length} bytes), sent the native requests`,
  target: 'ceiling',
  order: 0,
  requestsFor: nativeRequests,
  classify: () => 'constant',
};
