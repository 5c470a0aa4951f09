import type { FastifyRequest } from 'fastify';
import { authorize } from '../../domain/access/authorize.ts';
import { hoursHome, passbookPage, statement, statementHolder, statementPages } from '../../domain/hours/passbook.ts';
import { canLogOwnHours, canVerifyHours } from '../../domain/hours/permissions.ts';
import { addDays, isCalendarDate, monthBounds, shanghaiDateOf, shanghaiMonthOf } from '../../domain/hours/time.ts';
import { HttpProblem } from '../../plugins/http-errors.ts';
import { Form } from '../../lib/form-schema.ts';
import type { RoutePlugin } from '../../plugins/route-options.ts';
import { formatters, hoursContext } from './support.ts';

/** The passbook's "older" link: the ledger sequence number to read before. */
const PassbookQuery = Form.object({ before: Form.optional(Form.id()) });
/** A statement's period; a date that is not a calendar date falls back to this month (or today). */
const StatementQuery = Form.object({ from: Form.optional(Form.text(40)), to: Form.optional(Form.text(40)) });

const passbookRoutes: RoutePlugin = async (app) => {
  const context = hoursContext(app);

  /** The member whose hours a volunteer sees: always their own. */
  function ownMemberId(request: FastifyRequest): number {
    const user = request.requireUser();
    const memberId = (user.actor.memberId ?? null);
    if (memberId === null) throw new HttpProblem(403, 'hours.error.not_a_member');
    return memberId;
  }

  app.get('/hours', async (request, reply) => {
    const user = request.requireUser();
    const memberId = (user.actor.memberId ?? null);
    if (memberId === null) {
      // Staff without a member record: the queue is their hours page.
      if (authorize(user.actor, canVerifyHours)) return reply.seeOther('/hours/queue');
      throw new HttpProblem(403, 'hours.error.not_a_member');
    }
    const home = hoursHome(context, memberId);
    return reply.page('pages/hours/home', { home, f: formatters(request), canLog: authorize(user.actor, canLogOwnHours) !== null }, { titleKey: 'hours.title' });
  });

  app.get('/passbook', { schema: { querystring: PassbookQuery } }, async (request, reply) => {
    const memberId = ownMemberId(request);
    const beforeSeq = request.query.before;
    const page = passbookPage(context, memberId, { pageSize: 20, ...(beforeSeq ? { beforeSeq } : {}) });
    const today = shanghaiDateOf(app.clock());
    return reply.page(
      'pages/hours/passbook',
      { page, paged: beforeSeq !== undefined, holder: statementHolder(context, memberId), f: formatters(request), defaults: { from: monthBounds(shanghaiMonthOf(app.clock())).first, to: today } },
      { titleKey: 'hours.passbook.title' },
    );
  });

  app.get('/passbook/statement', { schema: { querystring: StatementQuery } }, async (request, reply) => {
    const memberId = ownMemberId(request);
    const query = request.query;
    const today = shanghaiDateOf(app.clock());
    let from = isCalendarDate(query.from ?? '') ? (query.from ?? '') : monthBounds(shanghaiMonthOf(app.clock())).first;
    let to = isCalendarDate(query.to ?? '') ? (query.to ?? '') : today;
    if (from > to) [from, to] = [to, from];
    if (addDays(from, 366 * 3) < to) from = addDays(to, -366 * 3);
    const period = statement(context, memberId, from, to);
    return reply.page(
      'pages/hours/statement',
      { statement: period, pages: statementPages(period), holder: statementHolder(context, memberId), f: formatters(request) },
      { titleKey: 'hours.statement.title' },
    );
  });
};
export default passbookRoutes;
