import { hasRole, regionScopes } from '../../domain/access/authorize.ts';
import { listAudit } from '../../domain/audit/audit.ts';
import { catalogues } from '../../i18n/index.ts';
import { formatDateTime } from '../../lib/time.ts';
import { Form } from '../../lib/form-schema.ts';
import type { RoutePlugin } from '../../plugins/route-options.ts';
import { canViewAudit } from '../../domain/audit/permissions.ts';

const pageSize = 50;
/** The "older" link: the id of the last entry shown. */
const AuditQuery = Form.object({ before: Form.optional(Form.integer(1, 999_999_999_999)) });

/** The audit log of the user's scope, newest first, 50 at a time. */
const auditRoutes: RoutePlugin = async (app) => {
  app.get('/audit', { schema: { querystring: AuditQuery } }, async (request, reply) => {
    request.authorize(canViewAudit);
    const user = request.requireUser();
    const before = request.query.before;
    const rows = listAudit(app.db, {
      regionPaths: regionScopes(user.actor, canViewAudit),
      includeUnscoped: hasRole(user.actor, 'admin'),
      ...(before !== undefined ? { beforeId: before } : {}),
      limit: pageSize + 1,
    });
    const entries = rows.slice(0, pageSize).map((row) => {
      const actionKey = `audit.action.${row.action}`;
      return {
        id: row.id,
        at: formatDateTime(row.atMs, request.locale),
        action: actionKey in catalogues[request.locale] ? request.t(actionKey) : row.action,
        actor: row.actorName,
        region: request.locale === 'en' && row.regionNameEn ? row.regionNameEn : row.regionNameZh,
        object: row.objectType && row.objectType !== 'phone' ? `${row.objectType} ${row.objectId ?? ''}` : null,
      };
    });
    const olderBefore = rows.length > pageSize ? entries.at(-1)?.id ?? null : null;
    if (request.isPartial) return reply.fragment('partials/audit/entries', { entries, olderBefore });
    return reply.page('pages/audit/index', { entries, olderBefore }, { titleKey: 'audit.title' });
  });
};
export default auditRoutes;
