import type { AppSettings, Release } from '../db/schema';
import { createLogger } from '../lib/log';
import { systemActor } from './actor';
import { StatusIncidentService } from './status-incidents';

const logger = createLogger('release-incidents');

export interface AutoRolledBack {
  release: Release;
  appName: string;
  orgId: string;
  settings: AppSettings | null;
  reason: string;
}

/**
 * The status-page side of a crash-rate auto-rollback (docs/status-pages.md): when the app links
 * a component (settings.statusComponentId), an incident is opened on it by the system actor.
 * A rollback already removed the bad release, so the incident starts in `monitoring` with the
 * component degraded; a pause leaves devices on it, so `identified` with a partial outage.
 * The rollback is committed before this runs and stands even if the page cannot be updated.
 */
export async function openReleaseIncident(env: Env, event: AutoRolledBack): Promise<void> {
  const componentId = event.settings?.statusComponentId;
  if (!componentId) return;
  const { release, appName, reason } = event;
  const paused = release.status === 'paused';
  const body = paused
    ? `Release ${release.label} of ${appName} was paused automatically: ${reason}. ` +
      'Devices that have it keep it; no new device gets it.'
    : `Release ${release.label} of ${appName} was rolled back automatically: ${reason}. ` +
      'Devices return to the previous release on their next update check.';
  try {
    await new StatusIncidentService(env).openForComponent(
      systemActor('crash-rate auto-rollback', event.orgId),
      {
        componentId,
        name: `${appName}: release ${release.label} ${paused ? 'paused' : 'rolled back'} for crashes`,
        body,
        status: paused ? 'identified' : 'monitoring',
        componentStatus: paused ? 'partial_outage' : 'degraded_performance',
      },
    );
  } catch (error) {
    logger.error('Could not open the status incident of an auto-rollback', {
      releaseId: release.id,
      componentId,
      error,
    });
  }
}
