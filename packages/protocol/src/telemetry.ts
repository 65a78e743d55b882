import { z } from 'zod';
import { DeploymentKey } from './apps';

// The native telemetry intake (docs/delivery.md, "Telemetry"): a device sends its events in
// batches; valid events are accepted, invalid ones reported back by index.

/** Seed 000's event types (the API's telemetry_events.event_type column lists the same). */
export const TelemetryEventType = z.enum([
  'update_check',
  'update_downloaded',
  'update_installed',
  'update_failed',
  'rollback',
  'crash',
]);
export type TelemetryEventType = z.infer<typeof TelemetryEventType>;

/** The most events one request may carry. */
export const MAX_TELEMETRY_EVENTS = 500;

const MetadataValue = z.union([z.string().max(500), z.number(), z.boolean(), z.null()]);

/**
 * One device event. The intake also refuses timestamps more than an hour ahead or older than
 * 30 days, and a releaseId that is not one of the channel's releases ("unknown release").
 */
export const TelemetryEventInput = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{8,100}$/, '8-100 characters of A-Z, a-z, 0-9, _ . : and -')
      .describe('generated on the device (a UUID); a resent event with the same id counts once'),
    type: TelemetryEventType,
    releaseId: z.string().min(1).max(64).optional().describe('the release the event is about'),
    timestamp: z.number().int().nonnegative().describe('when it happened, ms since the epoch'),
    errorCode: z.string().max(100).optional(),
    errorMessage: z.string().max(2000).optional(),
    metadata: z
      .record(z.string().min(1).max(100), MetadataValue)
      .refine((value) => Object.keys(value).length <= 20, 'at most 20 metadata keys')
      .optional(),
  })
  .strict();
export type TelemetryEventInput = z.input<typeof TelemetryEventInput>;

export const TelemetryBody = z
  .object({
    deploymentKey: DeploymentKey,
    deviceId: z.string().trim().min(1).max(200).describe('a stable per-install id'),
    platform: z.enum(['ios', 'android']),
    appVersion: z.string().trim().min(1).max(64).describe('the binary version, e.g. 1.4.0'),
    osVersion: z.string().trim().max(64).optional(),
    deviceModel: z.string().trim().max(100).optional(),
    events: z
      .array(z.unknown())
      .max(MAX_TELEMETRY_EVENTS)
      .describe(
        `up to ${MAX_TELEMETRY_EVENTS} TelemetryEventInput objects ` +
          '({id, type, releaseId?, timestamp, errorCode?, errorMessage?, metadata?}), each ' +
          'validated on its own: an invalid one is reported back, the others are accepted',
      ),
  })
  .strict();
export type TelemetryBody = z.input<typeof TelemetryBody>;

export const TelemetryIssueJson = z.object({
  code: z.string(),
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
});
export type TelemetryIssueJson = z.infer<typeof TelemetryIssueJson>;

export const TelemetryAcceptedJson = z.object({
  accepted: z.number().int().describe('events put on the telemetry queue'),
  rejected: z.array(
    z.object({
      index: z.number().int().describe('the position of the event in `events`'),
      issues: z.array(TelemetryIssueJson),
    }),
  ),
});
export type TelemetryAcceptedJson = z.infer<typeof TelemetryAcceptedJson>;

/** The most values a health breakdown lists; the rest are summed into `other`. */
export const HEALTH_BREAKDOWN_TOP = 10;
/** The days of daily adoption buckets (the raw events they come from are kept 30 days). */
export const HEALTH_DAILY_DAYS = 30;
/** The hours of hourly adoption buckets. */
export const HEALTH_HOURLY_HOURS = 48;

const count = z.number().int().nonnegative();

const bucketCounts = {
  installs: count.describe('update_installed events of the release'),
  crashes: count.describe('crash events of the release'),
  devices: count.describe('distinct devices that sent any event about the release'),
};

/** One ranked list of a breakdown: the top values by count, and what the others add up to. */
export const HealthBreakdownJson = z.object({
  top: z
    .array(
      z.object({
        value: z.string().nullable().describe('null: devices that did not say'),
        count,
      }),
    )
    .describe(`at most ${HEALTH_BREAKDOWN_TOP}, largest first`),
  other: count.describe('the sum of the values not in `top`'),
  distinctValues: count.describe('how many values there are in all, null included'),
});
export type HealthBreakdownJson = z.infer<typeof HealthBreakdownJson>;

const HealthDimensionJson = z.object({
  activeDevices: HealthBreakdownJson.describe('devices whose current release is this one'),
  installs: HealthBreakdownJson.describe(`installs in the last ${HEALTH_DAILY_DAYS} days`),
  crashes: HealthBreakdownJson.describe(`crashes in the last ${HEALTH_DAILY_DAYS} days`),
});

/** A release's health (docs/delivery.md, "Release health"): counters, devices, crash rate. */
export const ReleaseHealthJson = z.object({
  releaseId: z.string(),
  status: z.enum(['active', 'paused', 'rolled_back']),
  totals: z.object({
    downloads: z.number().int(),
    installs: z.number().int(),
    failures: z.number().int(),
    rollbacks: z.number().int(),
    crashes: z.number().int(),
  }),
  activeDevices: z.number().int().describe('devices whose current release is this one'),
  crashRate: z.number().describe('crashes / installs, capped at 1; 0 without installs'),
  crashRateLowerBound: z.number().describe('95% Wilson score lower bound of the crash rate'),
  adoption: z
    .array(z.object({ hour: z.string().describe('ISO 8601, start of the hour'), ...bucketCounts }))
    .describe(
      `per hour over the last ${HEALTH_HOURLY_HOURS} hours, oldest first; hours without ` +
        'events left out',
    ),
  adoptionDaily: z
    .array(z.object({ day: z.string().describe('YYYY-MM-DD, UTC'), ...bucketCounts }))
    .describe(
      `per UTC day over the last ${HEALTH_DAILY_DAYS} days, oldest first; days without ` +
        'events left out',
    ),
  breakdown: z
    .object({
      appVersion: HealthDimensionJson,
      osVersion: HealthDimensionJson,
      deviceModel: HealthDimensionJson,
    })
    .describe(
      'active devices (from the device registry) and recent installs and crashes (from the ' +
        "raw events, with the device's values at the time of the event) by app version, OS " +
        'version and device model',
    ),
});
export type ReleaseHealthJson = z.infer<typeof ReleaseHealthJson>;
