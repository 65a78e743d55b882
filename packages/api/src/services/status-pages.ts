import {
  CreateStatusPageBody,
  type CreateStatusPageBody as CreateStatusPageInput,
  type DomainVerificationRecord,
  UpdateStatusPageBody,
  type UpdateStatusPageBody as UpdateStatusPageInput,
} from '@skypatch/protocol';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { memberships, organizations, type Page, pages } from '../db/schema';
import { AppError } from '../lib/errors';
import { newPublicId } from '../lib/ids';
import {
  domainVerificationRecord,
  lookupTxt,
  reservedDomainReason,
} from '../status-pages/custom-domain';
import { forgetStatusHost, forgetStatusLabel } from '../status-pages/host';
import type { Actor } from './actor';
import { isUniqueViolation } from './base';
import type { Permission } from './permissions';
import { firstRow, StatusService } from './status-base';

type PageFields = z.output<typeof UpdateStatusPageBody>['page'];

/** The status pages of an org (spec §4.2 pages; creating one is our addition). */
export class StatusPageService extends StatusService {
  /** The org a page belongs to, for the route policy; null for an unknown page. */
  async orgOf(pageId: string): Promise<string | null> {
    const [row] = await this.getReadDb('fresh')
      .select({ orgId: pages.orgId })
      .from(pages)
      .where(eq(pages.id, pageId))
      .limit(1);
    return row?.orgId ?? null;
  }

  /** Route policy check: the page exists and the caller holds `permission` in its org. */
  async authorizePage(actor: Actor, pageId: string, permission: Permission): Promise<void> {
    await this.ownedPage(actor, pageId, permission);
  }

  async create(actor: Actor, orgId: string, input: CreateStatusPageInput): Promise<Page> {
    const { page: fields } = CreateStatusPageBody.parse(input);
    await this.authorize(actor, orgId, 'statuspage.manage');
    const now = new Date();
    const id = newPublicId();
    const values = {
      ...columnsOf(fields),
      ...this.domainColumns(fields.domain, null),
      name: fields.name,
      subdomain: fields.subdomain,
      id,
      orgId,
      createdAt: now,
      updatedAt: now,
    };
    const [created] = await this.write(() =>
      this.commit(
        id,
        [
          this.database.insert(pages).values(values).returning(),
          this.audit(actor, {
            orgId,
            action: 'statuspage.create',
            resourceType: 'status_page',
            resourceId: id,
            after: { name: fields.name, subdomain: fields.subdomain },
          }),
        ],
        now,
      ),
    );
    const page = firstRow<Page>(created);
    if (!page) throw new AppError('INTERNAL', 'Page not created');
    // Either label may have been remembered as "no page" by a request before this one.
    await forgetStatusLabel(this.env, page.subdomain);
    await forgetStatusLabel(this.env, page.id);
    return this.get(actor, page.id);
  }

  async get(actor: Actor, pageId: string): Promise<Page> {
    return this.ownedPage(actor, pageId, 'org.read');
  }

  async listForOrg(actor: Actor, orgId: string): Promise<Page[]> {
    await this.authorize(actor, orgId, 'org.read');
    return this.getReadDb('fresh')
      .select()
      .from(pages)
      .where(eq(pages.orgId, orgId))
      .orderBy(asc(pages.createdAt), asc(pages.id));
  }

  /** Statuspage's `GET /pages`: every page of every org the caller may read. */
  async listReadable(actor: Actor): Promise<Page[]> {
    const db = this.getReadDb('fresh');
    if (actor.kind === 'api_key') {
      // An app-scoped key still reads the org (org.read is app-scoped), so no narrowing here.
      return db
        .select()
        .from(pages)
        .where(eq(pages.orgId, actor.orgId))
        .orderBy(asc(pages.createdAt));
    }
    if (actor.kind !== 'user') return [];
    const rows = await db
      .select({ page: pages })
      .from(pages)
      .innerJoin(memberships, eq(memberships.orgId, pages.orgId))
      .innerJoin(organizations, eq(organizations.id, pages.orgId))
      .where(and(eq(memberships.userId, actor.userId), isNull(organizations.deletedAt)))
      .orderBy(asc(pages.createdAt), asc(pages.id));
    return rows.map((row) => row.page);
  }

  async update(actor: Actor, pageId: string, input: UpdateStatusPageInput): Promise<Page> {
    const { page: fields } = UpdateStatusPageBody.parse(input);
    const page = await this.ownedPage(actor, pageId, 'statuspage.manage');
    const changes = { ...columnsOf(fields), ...this.domainColumns(fields.domain, page) };
    // `{ page: {} }` (or a domain already in place) changes nothing: no write, no audit row.
    if (Object.keys(changes).length === 0) return page;
    const now = new Date();
    const before = Object.fromEntries(
      Object.keys(changes).map((key) => [key, page[key as keyof Page]]), // keys of Page columns
    );
    await this.write(() =>
      this.commit(
        page.id,
        [
          this.database.update(pages).set(changes).where(eq(pages.id, page.id)),
          this.audit(actor, {
            orgId: page.orgId,
            action: 'statuspage.update',
            resourceType: 'status_page',
            resourceId: page.id,
            before,
            after: changes,
          }),
        ],
        now,
      ),
    );
    if (page.customDomain && changes.customDomain === null) {
      await forgetStatusHost(this.env, page.customDomain);
    }
    if (changes.subdomain) await forgetStatusLabel(this.env, changes.subdomain);
    return this.get(actor, page.id);
  }

  /**
   * The columns a `domain` field writes. A new domain only waits in custom_domain_pending, so a
   * page cannot take over a host it does not control; removing one takes effect at once.
   */
  private domainColumns(
    domain: string | null | undefined,
    page: Pick<Page, 'customDomain' | 'customDomainPending'> | null,
  ): Partial<typeof pages.$inferInsert> {
    if (domain === undefined) return {};
    if (domain === null || domain === '') {
      return page?.customDomain || page?.customDomainPending
        ? { customDomain: null, customDomainPending: null }
        : {};
    }
    const reserved = reservedDomainReason(domain, this.env);
    if (reserved) throw new AppError('BAD_REQUEST', `Domain ${domain} is reserved: ${reserved}`);
    if (domain === page?.customDomain) {
      return page.customDomainPending ? { customDomainPending: null } : {};
    }
    return domain === page?.customDomainPending ? {} : { customDomainPending: domain };
  }

  /** The TXT record that proves the page's pending domain, or null when none is pending. */
  async domainVerification(
    page: Pick<Page, 'id' | 'customDomainPending'>,
  ): Promise<DomainVerificationRecord | null> {
    if (!page.customDomainPending) return null;
    return domainVerificationRecord(
      this.env.SECRETS_ENCRYPTION_KEY,
      page.id,
      page.customDomainPending,
    );
  }

  /**
   * Looks up the pending domain's TXT record over DNS-over-HTTPS and, when it holds the page's
   * token, makes the domain the page's custom domain.
   */
  async verifyDomain(actor: Actor, pageId: string): Promise<Page> {
    const page = await this.ownedPage(actor, pageId, 'statuspage.manage');
    const domain = page.customDomainPending;
    if (!domain) throw new AppError('BAD_REQUEST', 'This page has no domain awaiting verification');
    const reserved = reservedDomainReason(domain, this.env);
    if (reserved) throw new AppError('BAD_REQUEST', `Domain ${domain} is reserved: ${reserved}`);
    const record = await domainVerificationRecord(this.env.SECRETS_ENCRYPTION_KEY, page.id, domain);
    const expected = `Expected a TXT record ${record.name} with the value "${record.value}"`;
    const found = await lookupTxt(this.env.DOH_URL, record.name);
    if (!found.ok) throw new AppError('CONFLICT', `${expected}, but ${found.reason}; try again`);
    if (!found.values.includes(record.value)) {
      throw new AppError('CONFLICT', `${expected}; DNS has no such record (yet)`, {
        expected: record,
        found: found.values,
      });
    }
    const now = new Date();
    await this.write(() =>
      this.commit(
        page.id,
        [
          // DNS proved `domain` for this page. A PATCH that asked for another domain meanwhile
          // keeps its request pending; the unique index answers 409 if another page holds it.
          this.database
            .update(pages)
            .set({
              customDomain: domain,
              customDomainPending: sql`CASE WHEN ${pages.customDomainPending} = ${domain} THEN NULL ELSE ${pages.customDomainPending} END`,
            })
            .where(eq(pages.id, page.id)),
          this.audit(actor, {
            orgId: page.orgId,
            action: 'statuspage.domain_verify',
            resourceType: 'status_page',
            resourceId: page.id,
            before: { domain: page.customDomain },
            after: { domain },
          }),
        ],
        now,
      ),
    );
    if (page.customDomain) await forgetStatusHost(this.env, page.customDomain);
    await forgetStatusHost(this.env, domain);
    return this.get(actor, page.id);
  }

  /** A unique subdomain or custom domain taken by another page is a 409, not a 500. */
  private async write<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('CONFLICT', 'This subdomain or domain is used by another page');
      }
      this.handleDatabaseError(error, 'status page write');
    }
  }
}

/**
 * The wire fields onto columns; absent fields stay absent so PATCH changes only what it names.
 * `domain` is the service's (domainColumns): it is never written to custom_domain directly.
 */
function columnsOf(fields: PageFields) {
  const columns: Partial<typeof pages.$inferInsert> = {};
  if (fields.name !== undefined) columns.name = fields.name;
  if (fields.subdomain !== undefined) columns.subdomain = fields.subdomain;
  if (fields.url !== undefined) columns.url = fields.url;
  if (fields.time_zone !== undefined) columns.timezone = fields.time_zone;
  if (fields.hidden_from_search !== undefined) columns.hiddenFromSearch = fields.hidden_from_search;
  if (fields.allow_page_subscribers !== undefined)
    columns.allowPageSubscribers = fields.allow_page_subscribers;
  if (fields.allow_incident_subscribers !== undefined)
    columns.allowIncidentSubscribers = fields.allow_incident_subscribers;
  if (fields.allow_webhook_subscribers !== undefined)
    columns.allowWebhookSubscribers = fields.allow_webhook_subscribers;
  if (fields.allow_rss_atom_feeds !== undefined)
    columns.allowRssAtomFeeds = fields.allow_rss_atom_feeds;
  return columns;
}
