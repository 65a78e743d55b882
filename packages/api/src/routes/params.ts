import { z } from '@hono/zod-openapi';

// Path parameters shared by the route modules: ids are opaque, 1-64 characters.
export const IdParam = z.string().min(1).max(64);
export const OrgParams = z.object({ orgId: IdParam });
export const AppParams = OrgParams.extend({ appId: IdParam });
export const ChannelParams = AppParams.extend({ channelId: IdParam });
export const JobParams = OrgParams.extend({ jobId: IdParam });
