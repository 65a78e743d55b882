import { z } from 'zod';
import { FlexBoolean, StatusBody } from './status';

// An incident's postmortem in Statuspage's v1 shape (OAS `Postmortem`,
// `PUT …/incidents/{id}/postmortem`, `…/postmortem/publish`). Skypatch keeps one text per
// incident: the draft, frozen once published (docs/status-pages.md, "Postmortems").

/** `PUT …/postmortem`: saves the draft. */
export const SavePostmortemBody = z.object({
  postmortem: z.object({
    body_draft: StatusBody.refine((text) => text.trim().length > 0, 'must not be blank'),
  }),
});
export type SavePostmortemBody = z.input<typeof SavePostmortemBody>;

/** `PUT …/postmortem/publish`: every field optional, and so is the body itself. */
export const PublishPostmortemBody = z.object({
  postmortem: z
    .object({
      notify_subscribers: FlexBoolean.optional().describe(
        'send the incident webhook event to the page’s subscribers (default false)',
      ),
      notify_twitter: FlexBoolean.optional().describe('accepted and ignored'),
      custom_tweet: z.string().max(280).optional().describe('accepted and ignored'),
    })
    .optional(),
});
export type PublishPostmortemBody = z.input<typeof PublishPostmortemBody>;

/** OAS `Postmortem`, with the fields Skypatch can state truthfully (timestamps UTC). */
export const PostmortemJson = z.object({
  preview_key: z.null().describe('always null: drafts are read through this API, not a preview'),
  body: z.string().nullable().describe('the published text; null until published'),
  body_updated_at: z.string().nullable().describe('when `body` was published'),
  body_draft: z.string().nullable().describe('the saved text (equal to `body` once published)'),
  published_at: z.string().nullable(),
  notify_twitter: z.literal(false),
  custom_tweet: z.null(),
});
export type PostmortemJson = z.infer<typeof PostmortemJson>;
