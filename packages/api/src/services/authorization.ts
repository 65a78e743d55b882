import type { AccessOptions } from './access';
import type { Actor } from './actor';
import { BaseService } from './base';
import type { OrgAccess, Permission } from './permissions';

/**
 * The route-level half of authorization: route middleware asks here before validating input,
 * so an outsider learns nothing from validation errors. Services ask again themselves
 * (BaseService.authorize); the answer is memoised per request, so that costs no second read.
 */
export class AuthorizationService extends BaseService {
  check(
    actor: Actor,
    orgId: string,
    permission: Permission,
    options?: AccessOptions,
  ): Promise<OrgAccess> {
    return this.authorize(actor, orgId, permission, options);
  }
}
