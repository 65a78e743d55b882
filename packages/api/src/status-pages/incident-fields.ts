import type { Incident } from '../db/schema';

// The management fields of an incident (spec §4.3, §5.2) that the public v2 object leaves out:
// the editors' JSON renders them in UTC, webhooks in the page's zone, so the caller says how a
// timestamp is written. `impact_override` is not here: each caller places it where Statuspage does.

export function incidentManagementFields(
  incident: Incident,
  timestamp: (date: Date | null) => string | null,
) {
  return {
    backfilled: incident.backfilled ?? false,
    metadata: incident.metadata ?? {},
    postmortem_body: incident.postmortemBody ?? null,
    postmortem_published_at: timestamp(incident.postmortemPublishedAt),
    scheduled_for: timestamp(incident.scheduledFor),
    scheduled_until: timestamp(incident.scheduledUntil),
    scheduled_remind_prior: incident.scheduledRemindPrior ?? false,
    scheduled_reminded_at: timestamp(incident.scheduledRemindedAt),
    scheduled_auto_in_progress: incident.scheduledAutoInProgress ?? false,
    scheduled_auto_completed: incident.scheduledAutoCompleted ?? false,
    auto_transition_to_maintenance_state: incident.autoTransitionToMaintenanceState ?? false,
    auto_transition_to_operational_state: incident.autoTransitionToOperationalState ?? false,
    auto_transition_deliver_notifications_at_start:
      incident.autoTransitionDeliverNotificationsAtStart ?? false,
    auto_transition_deliver_notifications_at_end:
      incident.autoTransitionDeliverNotificationsAtEnd ?? false,
  };
}
