// The schema barrel: one file per domain, re-exported for Drizzle, drizzle-kit and services.
export * from './accounts';
export * from './apps';
export * from './patches';
export * from './releases';
export * from './status';
export * from './telemetry';
