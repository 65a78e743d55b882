import { AccountService } from './accounts';
import { ApiKeyService } from './api-keys';
import { AppService } from './apps';
import { AuditLogService } from './audit-log';
import { AuthService } from './auth';
import { AuthorizationService } from './authorization';
import { BootstrapService } from './bootstrap';
import { CodeSigningService } from './code-signing';
import { GitHubAuthService } from './github';
import { HealthService } from './health';
import { InvitationService } from './invitations';
import { MemberService } from './members';
import { MultipartUploadService } from './multipart-uploads';
import { OrgService } from './orgs';
import { PatchService } from './patches';
import { PurgeService } from './purge';
import { ReleaseService } from './releases';
import { RetentionService } from './retention';
import { SecretService } from './secrets';
import { SessionService } from './sessions';
import { StatusComponentGroupService } from './status-component-groups';
import { StatusComponentService } from './status-components';
import { StatusIncidentService } from './status-incidents';
import { StatusMaintenanceService } from './status-maintenance';
import { StatusPageService } from './status-pages';
import { StatusPostmortemService } from './status-postmortems';
import { StatusSubscriberService } from './status-subscribers';
import { StatusUptimeService } from './status-uptime';
import { StatusWebhookService } from './status-webhooks';
import { TelemetryService } from './telemetry';
import { UploadProcessor } from './upload-processor';
import { UploadService } from './uploads';

type Lifetime = Pick<ExecutionContext, 'waitUntil'>;

/**
 * Every service, each built on first use: a request touches one or two of them, and the
 * update-check path must not pay for the rest. Entry points reach services only here.
 */
export class Services {
  private readonly built = new Map<string, unknown>();

  constructor(
    private readonly env: Env,
    private readonly lifetime?: Lifetime,
  ) {}

  private once<T>(name: string, make: new (env: Env, lifetime?: Lifetime) => T): T {
    let service = this.built.get(name) as T | undefined; // stored by this method under `name`
    if (!service) {
      service = new make(this.env, this.lifetime);
      this.built.set(name, service);
    }
    return service;
  }

  get accounts() {
    return this.once('accounts', AccountService);
  }
  get apps() {
    return this.once('apps', AppService);
  }
  get apiKeys() {
    return this.once('apiKeys', ApiKeyService);
  }
  get auditLogs() {
    return this.once('auditLogs', AuditLogService);
  }
  get auth() {
    return this.once('auth', AuthService);
  }
  get authorization() {
    return this.once('authorization', AuthorizationService);
  }
  get bootstrap() {
    return this.once('bootstrap', BootstrapService);
  }
  get codeSigning() {
    return this.once('codeSigning', CodeSigningService);
  }
  get github() {
    return this.once('github', GitHubAuthService);
  }
  get health() {
    return this.once('health', HealthService);
  }
  get invitations() {
    return this.once('invitations', InvitationService);
  }
  get members() {
    return this.once('members', MemberService);
  }
  get multipartUploads() {
    return this.once('multipartUploads', MultipartUploadService);
  }
  get orgs() {
    return this.once('orgs', OrgService);
  }
  get patches() {
    return this.once('patches', PatchService);
  }
  get purge() {
    return this.once('purge', PurgeService);
  }
  get releases() {
    return this.once('releases', ReleaseService);
  }
  get retention() {
    return this.once('retention', RetentionService);
  }
  get secrets() {
    return this.once('secrets', SecretService);
  }
  get statusPages() {
    return this.once('statusPages', StatusPageService);
  }
  get statusComponents() {
    return this.once('statusComponents', StatusComponentService);
  }
  get statusComponentGroups() {
    return this.once('statusComponentGroups', StatusComponentGroupService);
  }
  get statusIncidents() {
    return this.once('statusIncidents', StatusIncidentService);
  }
  get statusPostmortems() {
    return this.once('statusPostmortems', StatusPostmortemService);
  }
  get statusMaintenance() {
    return this.once('statusMaintenance', StatusMaintenanceService);
  }
  get telemetry() {
    return this.once('telemetry', TelemetryService);
  }
  get uploads() {
    return this.once('uploads', UploadService);
  }
  get uploadProcessor() {
    return this.once('uploadProcessor', UploadProcessor);
  }
  get sessions() {
    return this.once('sessions', SessionService);
  }
  get statusSubscribers() {
    return this.once('statusSubscribers', StatusSubscriberService);
  }
  get statusUptime() {
    return this.once('statusUptime', StatusUptimeService);
  }
  get statusWebhooks() {
    return this.once('statusWebhooks', StatusWebhookService);
  }
}

export function createServices(env: Env, lifetime?: Lifetime): Services {
  return new Services(env, lifetime);
}

export type { Actor } from './actor';
