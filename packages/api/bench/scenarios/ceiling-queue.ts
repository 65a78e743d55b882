// The ceiling plus the one platform call the native and CodePush checks make on every request:
// a telemetry message on TELEMETRY_QUEUE. On Miniflare the queue broker shares workerd's one
// thread with the Worker, so this bounds every check that enqueues, on this setup.
import type { Scenario } from '../lib/scenario';
import { nativeRequests } from './native';

export const scenario: Scenario = {
  name: 'ceiling+queue',
  describe: 'the constant JSON Worker, also sending one telemetry message per request',
  target: 'ceiling-queue',
  order: 1,
  requestsFor: nativeRequests,
  classify: () => 'constant',
};
