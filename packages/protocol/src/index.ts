// @skypatch/protocol: the wire format shared by the API, the CLI and the client SDK. Zod only.
export * from './accounts';
export * from './apps';
export * from './errors';
export * from './keys';
export * from './orgs';
export * from './patches';
export * from './status';
export * from './status-postmortem';
export * from './status-public';
export * from './status-subscribers';
export * from './system';
export * from './telemetry';
export * from './updates';
export * from './uploads';
