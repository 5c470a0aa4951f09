import type { Db } from '../../db/client.ts';
import { authorize, hasRole, regionScopes, type Actor } from '../access/authorize.ts';
import { failure, success, type Outcome } from '../kernel/outcome.ts';
import { listAudit, type AuditRow } from './audit.ts';
import { canViewAudit } from './permissions.ts';

/** The message of the 403 page someone gets who holds none of the roles an action needs. */
export const roleRefusalCode = 'errors.forbidden.message';

/**
 * The audit log as the actor may read it, newest first, `limit` entries older
 * than `beforeId`: the entries of their scope (and, for administrators, those
 * with no region). Someone without the role gets the 403 page.
 */
export function auditEntries(db: Db, actor: Actor, options: { beforeId?: number; limit: number }): Outcome<AuditRow[]> {
  if (!authorize(actor, canViewAudit)) return failure(403, { code: roleRefusalCode });
  return success(listAudit(db, {
    regionPaths: regionScopes(actor, canViewAudit),
    includeUnscoped: hasRole(actor, 'admin'),
    ...(options.beforeId !== undefined ? { beforeId: options.beforeId } : {}),
    limit: options.limit,
  }));
}
