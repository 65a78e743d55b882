import type {
  ComponentGroupJson,
  DomainVerificationRecord,
  IncidentUpdateJson,
  StatusComponentJson,
  StatusIncidentJson,
  StatusPageJson,
} from '@skypatch/protocol';
import type { Component, Page } from '../db/schema';
import type { GroupWithChildren } from '../services/status-component-groups';
import type { IncidentDetail } from '../services/status-incident-details';
import { incidentManagementFields } from '../status-pages/incident-fields';
import { iso, isoOrNull } from './openapi';

// Rows → management JSON (spec §4.3): the §1.3 objects plus management fields, timestamps in
// UTC. The public v2 serializers (status-pages/serialize.ts) render in the page's time zone for
// readers of one page; these serve the page's editors, so they stay separate and name every
// field, so a new column cannot leak.

/** `verification` is the TXT record of the pending domain (StatusPageService.domainVerification). */
export function toStatusPageJson(
  page: Page,
  verification: DomainVerificationRecord | null,
): StatusPageJson {
  return {
    id: page.id,
    org_id: page.orgId,
    name: page.name,
    subdomain: page.subdomain,
    domain: page.customDomain,
    domain_pending: page.customDomainPending,
    domain_verification: verification,
    url: page.url,
    time_zone: page.timezone ?? 'UTC',
    hidden_from_search: page.hiddenFromSearch ?? false,
    allow_page_subscribers: page.allowPageSubscribers ?? true,
    allow_incident_subscribers: page.allowIncidentSubscribers ?? true,
    allow_webhook_subscribers: page.allowWebhookSubscribers ?? true,
    allow_rss_atom_feeds: page.allowRssAtomFeeds ?? true,
    status_indicator: page.statusIndicator ?? 'none',
    status_description: page.statusDescription ?? 'All Systems Operational',
    created_at: iso(page.createdAt),
    updated_at: iso(page.updatedAt),
  };
}

export function toStatusComponentJson(component: Component): StatusComponentJson {
  return {
    id: component.id,
    page_id: component.pageId,
    group_id: component.groupId,
    name: component.name,
    description: component.description,
    status: component.status ?? 'operational',
    position: component.position ?? 0,
    showcase: component.showcase ?? true,
    only_show_if_degraded: component.onlyShowIfDegraded ?? false,
    start_date: component.startDate,
    group: false,
    automation_email: component.automationEmail,
    created_at: iso(component.createdAt),
    updated_at: iso(component.updatedAt),
  };
}

export function toComponentGroupJson({
  group,
  componentIds,
}: GroupWithChildren): ComponentGroupJson {
  return {
    id: group.id,
    page_id: group.pageId,
    name: group.name,
    description: group.description,
    components: componentIds,
    position: group.position ?? 0,
    created_at: iso(group.createdAt),
    updated_at: iso(group.updatedAt),
  };
}

/** `shortlink` is the incident's page on our host; the editors' view has no page URL options. */
export function toStatusIncidentJson(detail: IncidentDetail): StatusIncidentJson {
  const { incident } = detail;
  return {
    id: incident.id,
    page_id: incident.pageId,
    name: incident.name,
    status: incident.status,
    impact: incident.impact,
    impact_override: incident.impactOverride,
    created_at: iso(incident.createdAt),
    updated_at: iso(incident.updatedAt),
    started_at: iso(incident.startedAt ?? incident.createdAt),
    monitoring_at: isoOrNull(incident.monitoringAt),
    resolved_at: isoOrNull(incident.resolvedAt),
    shortlink: `/incidents/${incident.id}`,
    ...incidentManagementFields(incident, isoOrNull),
    incident_updates: detail.updates.map(
      ({ update, affected }): IncidentUpdateJson => ({
        id: update.id,
        incident_id: update.incidentId,
        status: update.status,
        body: update.body,
        created_at: iso(update.createdAt),
        updated_at: iso(update.updatedAt),
        display_at: iso(update.displayAt ?? update.createdAt),
        affected_components:
          affected.length === 0
            ? null
            : affected.map((a) => ({
                code: a.code,
                name: a.name,
                old_status: a.oldStatus,
                new_status: a.newStatus,
              })),
        deliver_notifications: update.deliverNotifications ?? true,
        custom_tweet: null,
        tweet_id: null,
      }),
    ),
    components: detail.components.map(toStatusComponentJson),
  };
}
