import { channelOf, memberChannelAccess, setChannel } from '../../domain/messages/channel.ts';
import { markMessagesRead, openInbox, type ReadTarget } from '../../domain/messages/inbox.ts';
import { messageText } from '../../domain/messages/words.ts';
import type { KeylessContext } from '../../domain/kernel/context.ts';
import type { Refusal } from '../../domain/kernel/outcome.ts';
import { Form, IdParams } from '../../lib/form-schema.ts';
import { formatDateTime } from '../../lib/time.ts';
import { problemsToForm, shapeProblems } from '../../plugins/forms.ts';
import { refusalPage } from '../../plugins/http-errors.ts';
import type { RouteApp, RoutePlugin } from '../../plugins/route-options.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { registerTemplateRoutes } from './templates.ts';

/** The "older" link: the id of the last message shown. */
const InboxQuery = Form.object({ before: Form.optional(Form.id()) });
/** Marking read comes back to the page it was on (its "older" position). */
const ReadForm = Form.object({ before: Form.optional(Form.id()) });
const ChoiceQuery = Form.object({ saved: Form.optional(Form.text(1)) });
const ChoiceForm = Form.object({ channel: Form.oneOf(['inbox', 'sms'], { messageKey: 'messages.error.channel_invalid' }) });

export function messagesContext(app: RouteApp): KeylessContext {
  return { db: app.db, now: app.clock };
}

/** 消息: the inbox of every signed-in user, each member's channel (inbox only / SMS too), and the top office's SMS templates. */
const messagesRoutes: RoutePlugin = async (app) => {
  registerInboxRoutes(app);
  registerChannelRoutes(app);
  registerTemplateRoutes(app);
};
export default messagesRoutes;

function registerInboxRoutes(app: RouteApp): void {
  app.get('/messages', { schema: { querystring: InboxQuery } }, async (request, reply) => {
    const user = request.requireUser();
    const outcome = openInbox(messagesContext(app), user.actor, request.query.before ?? null);
    if (!outcome.ok) return refusalPage(outcome);
    const messages = outcome.value.messages.map((message) => ({
      id: message.id,
      unread: message.unread,
      kindName: request.t(`messages.kindName.${message.kind}`),
      text: messageText(request.t, request.locale, message.kind, message.params),
      at: formatDateTime(message.createdAtMs, request.locale),
    }));
    const before = request.query.before ?? null;
    const data = { messages, olderThanId: outcome.value.olderThanId, paged: before !== null, before, isMember: Boolean(user.actor.memberId) };
    return reply.page('pages/messages/inbox', data, { titleKey: 'messages.title' });
  });
  // Reading is explicit: a POST (with its CSRF token), never the GET of the page (docs/MESSAGES.md).
  const markRead = async (request: FastifyRequest<{ Body: { before?: number } }>, reply: FastifyReply, target: ReadTarget) => {
    const outcome = markMessagesRead(messagesContext(app), request.requireUser().actor, target);
    if (!outcome.ok) return refusalPage(outcome);
    const before = request.body?.before;
    const anchor = 'messageId' in target ? `#message-${target.messageId}` : '';
    return reply.seeOther(`/messages${before ? `?before=${before}` : ''}${anchor}`);
  };
  app.post('/messages/read-all', { schema: { body: ReadForm } }, async (request, reply) => markRead(request, reply, { all: true }));
  app.post('/messages/:id/read', { schema: { params: IdParams, body: ReadForm } }, async (request, reply) => markRead(request, reply, { messageId: request.params.id }));
}

async function showChoice(app: RouteApp, request: FastifyRequest, reply: FastifyReply, memberId: number | null, extra: { saved?: boolean; problems?: Refusal['problems']; status?: number } = {}) {
  const actor = request.requireUser().actor;
  const found = channelOf(messagesContext(app), actor, memberId);
  if (!found.ok) return refusalPage(found);
  const own = memberId === null;
  const action = own ? '/messages/choice' : `/messages/choice/${found.value.memberId}`;
  const errors = extra.problems ? problemsToForm(request.t, extra.problems) : null;
  const title = own ? request.t('messages.choice.title') : request.t('messages.choice.titleFor', { name: found.value.realName });
  return reply.page('pages/messages/choice', { member: found.value, own, action, saved: extra.saved ?? false, errors, heading: title },
    { titleKey: own ? 'messages.choice.title' : 'messages.choice.titleFor', titleVariables: { name: found.value.realName }, status: extra.status ?? 200 });
}

function registerChannelRoutes(app: RouteApp): void {
  app.get('/messages/choice', { schema: { querystring: ChoiceQuery } }, async (request, reply) => showChoice(app, request, reply, null, { saved: request.query.saved === '1' }));
  app.get('/messages/choice/:id', { schema: { params: IdParams, querystring: ChoiceQuery }, attachValidation: true }, async (request, reply) => {
    // The role first: someone without it gets the same 403 whatever the address holds.
    const denied = memberChannelAccess(request.requireUser().actor);
    if (denied) return refusalPage(denied);
    shapeProblems(request, {}, 'messages.error.member_not_found');
    return showChoice(app, request, reply, request.params.id, { saved: request.query.saved === '1' });
  });
  const save = async (request: FastifyRequest<{ Body: { channel?: string } }>, reply: FastifyReply, memberId: number | null) => {
    const actor = request.requireUser().actor;
    const denied = memberId === null ? null : memberChannelAccess(actor);
    if (denied) return refusalPage(denied);
    const shape = shapeProblems(request, {}, 'messages.error.member_not_found');
    const outcome = shape.length > 0 ? { ok: false as const, status: 422 as const, problems: shape } : setChannel(messagesContext(app), actor, memberId, request.body.channel ?? '');
    if (!outcome.ok && (outcome.status === 403 || outcome.status === 404)) return refusalPage(outcome);
    if (!outcome.ok) return showChoice(app, request, reply, memberId, { problems: outcome.problems, status: outcome.status });
    return reply.seeOther(`${memberId === null ? '/messages/choice' : `/messages/choice/${memberId}`}?saved=1`);
  };
  app.post('/messages/choice', { schema: { body: ChoiceForm }, attachValidation: true }, async (request, reply) => save(request, reply, null));
  app.post('/messages/choice/:id', { schema: { params: IdParams, body: ChoiceForm }, attachValidation: true }, async (request, reply) => save(request, reply, request.params.id));
}
