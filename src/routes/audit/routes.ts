import { auditEntries } from '../../domain/audit/audit-page.ts';
import { firstProblem } from '../../domain/kernel/outcome.ts';
import { catalogues } from '../../i18n/index.ts';
import { formatDateTime } from '../../lib/time.ts';
import { Form } from '../../lib/form-schema.ts';
import type { RoutePlugin } from '../../plugins/route-options.ts';
import { HttpProblem } from '../../plugins/http-errors.ts';

const pageSize = 50;
/** The "older" link: the id of the last entry shown. */
const AuditQuery = Form.object({ before: Form.optional(Form.integer(1, 999_999_999_999)) });

/** The audit log of the user's scope, newest first, 50 at a time. */
const auditRoutes: RoutePlugin = async (app) => {
  app.get('/audit', { schema: { querystring: AuditQuery } }, async (request, reply) => {
    const user = request.requireUser();
    const outcome = auditEntries(app.db, user.actor, { ...(request.query.before !== undefined ? { beforeId: request.query.before } : {}), limit: pageSize + 1 });
    if (!outcome.ok) throw new HttpProblem(outcome.status, firstProblem(outcome).code);
    const rows = outcome.value;
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
