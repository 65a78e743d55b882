import { createLogger } from '../lib/log';
import { createServices } from '../services';

const logger = createLogger('cron');

export const CRON = { everyMinute: '* * * * *', daily: '17 3 * * *' } as const;

/** Jobs per cron expression; each is one service call. Registered as features land. */
type Job = (env: Env, scheduledTime: Date) => Promise<unknown>;
export const jobs: Record<string, Job[]> = {
  [CRON.everyMinute]: [(env, at) => createServices(env).statusMaintenance.runDue(at)],
  [CRON.daily]: [
    (env, at) => createServices(env).purge.purgeExpired(at),
    (env, at) => createServices(env).retention.sweepPendingUploads(at),
    (env, at) => createServices(env).statusWebhooks.purgeExpired(at),
    (env, at) => createServices(env).retention.sweepOldTelemetry(at),
  ],
};

export async function scheduled(
  controller: ScheduledController,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  const due = jobs[controller.cron];
  if (!due) {
    logger.warn('Unknown cron expression', { cron: controller.cron });
    return;
  }
  const at = new Date(controller.scheduledTime);
  // Jobs are independent: one failing must not stop the others.
  const results = await Promise.allSettled(due.map((job) => job(env, at)));
  for (const result of results) {
    if (result.status === 'rejected')
      logger.error('Cron job failed', { cron: controller.cron, error: result.reason });
  }
  ctx.waitUntil(Promise.resolve());
}
