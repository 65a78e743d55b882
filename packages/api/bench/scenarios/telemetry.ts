// The native telemetry intake (packages/protocol/src/telemetry.ts TelemetryBody): what the
// Skypatch SDK sends after launches, installs and crashes, EVENTS_PER_REQUEST events at a time.
// The intake validates each event and queues them; it never touches D1, so the number here is
// events accepted per second. What the consumer then writes to D1 per 1,000 events is
// measured by the consumer's own log line (docs/benchmarks.md, "Telemetry").
import type { BenchRequest } from '../lib/load';
import { pick, type Scenario, VARIANTS_PER_APP } from '../lib/scenario';
import { APP_VERSIONS, type BenchApp } from '../lib/seed';

export const EVENTS_PER_REQUEST = 50;
// A launch makes a check; some launches follow an install, a few crash.
const TYPES = [
  'update_check',
  'update_check',
  'update_check',
  'update_downloaded',
  'update_installed',
  'crash',
] as const;

export function telemetryRequests(app: BenchApp, random: () => number): BenchRequest[] {
  const requests: BenchRequest[] = [];
  const now = Date.now();
  for (let v = 0; v < VARIANTS_PER_APP; v++) {
    const deviceId = `device-${app.index}-${v}`;
    const events = Array.from({ length: EVENTS_PER_REQUEST }, (_, i) => ({
      id: `${deviceId}-event-${i}`,
      type: pick(TYPES, random),
      releaseId: pick(app.releases.slice(-3), random).id,
      timestamp: now - (EVENTS_PER_REQUEST - i) * 60_000,
    }));
    const body = {
      deploymentKey: app.deploymentKey,
      deviceId,
      platform: app.platform,
      appVersion: pick(APP_VERSIONS, random),
      osVersion: app.platform === 'ios' ? '17.2' : '14',
      deviceModel: app.platform === 'ios' ? 'iPhone15,2' : 'Pixel 8',
      events,
    };
    requests.push({ method: 'POST', path: '/v1/telemetry', body: JSON.stringify(body) });
  }
  return requests;
}

export const scenario: Scenario = {
  name: 'telemetry',
  describe: `POST /v1/telemetry, ${EVENTS_PER_REQUEST} events a request (events/s = req/s × ${EVENTS_PER_REQUEST})`,
  target: 'api',
  order: 5,
  requestsFor: telemetryRequests,
  classify: (body) => {
    const answer = JSON.parse(body) as { accepted: number; rejected: unknown[] };
    return `accepted ${answer.accepted}, rejected ${answer.rejected.length}`;
  },
};
