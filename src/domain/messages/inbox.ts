import { connectionOf, type Db } from '../../db/client.ts';
import type { Actor } from '../access/authorize.ts';
import { nowOf, type KeylessContext } from '../kernel/context.ts';
import { failure, success, type Outcome } from '../kernel/outcome.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { isMessageKind, type MessageKind, type MessageParams } from './events.ts';
import { canReadMessages } from './permissions.ts';
import { authorize } from '../access/authorize.ts';

/**
 * The inbox (消息): a user's own messages and those to the member they are.
 * Messages are stored as kind + parameters and put into words by the page,
 * in the reader's language.
 */
export interface InboxMessage {
  id: number;
  kind: MessageKind;
  params: MessageParams;
  createdAtMs: number;
  /** Not yet marked read by its reader (an explicit POST: markMessagesRead). */
  unread: boolean;
}

export interface InboxPage {
  messages: InboxMessage[];
  /** The id to page on from (older messages), or null on the last page. */
  olderThanId: number | null;
}

export const inboxPageSize = 20;

/** The header shows at most this many unread ("99+" beyond), so counting stops there: the cost is bounded whatever the backlog. */
export const unreadCountCap = 100;

/**
 * The header's unread count, up to `unreadCountCap`: two bounded counts on
 * partial indexes of unread rows (messages_user_unread,
 * messages_member_unread), one statement.
 */
export function unreadCount(db: Db, actor: Pick<Actor, 'userId' | 'memberId'>): number {
  const counted = connectionOf(db)
    .prepare(`SELECT (SELECT count(*) FROM (SELECT 1 FROM messages WHERE recipient_user_id = ? AND read_at_ms IS NULL LIMIT ${unreadCountCap}))
                   + (SELECT count(*) FROM (SELECT 1 FROM messages WHERE recipient_member_id = ? AND read_at_ms IS NULL LIMIT ${unreadCountCap}))`)
    .pluck()
    .get(actor.userId, actor.memberId ?? null) as number;
  return Math.min(counted, unreadCountCap);
}

/**
 * One page of the actor's messages, newest first, before `beforeId`. Reading
 * writes nothing: a GET (a link prefetcher, the offline worker) must not clear
 * unread flags. Marking read is the reader's explicit POST (markMessagesRead).
 */
export function openInbox(context: KeylessContext, actor: Actor, beforeId: number | null): Outcome<InboxPage> {
  if (!authorize(actor, canReadMessages)) return failure(403, { code: 'errors.forbidden.message' });
  const rows = connectionOf(context.db)
    .prepare(`SELECT id, kind, params_json AS paramsJson, created_at_ms AS createdAtMs, read_at_ms AS readAtMs FROM (
                SELECT * FROM messages WHERE recipient_user_id = ? AND id < ?
                UNION ALL SELECT * FROM messages WHERE recipient_member_id = ? AND id < ?)
              ORDER BY id DESC LIMIT ?`)
    .all(actor.userId, beforeId ?? Number.MAX_SAFE_INTEGER, actor.memberId ?? null, beforeId ?? Number.MAX_SAFE_INTEGER, inboxPageSize + 1) as
    { id: number; kind: string; paramsJson: string; createdAtMs: number; readAtMs: number | null }[];
  const shown = rows.slice(0, inboxPageSize);
  const messages = shown.filter((row) => isMessageKind(row.kind)).map((row) => ({
    id: row.id, kind: row.kind as MessageKind, params: JSON.parse(row.paramsJson) as MessageParams, createdAtMs: row.createdAtMs, unread: row.readAtMs === null,
  }));
  const last = shown.at(-1);
  return success({ messages, olderThanId: rows.length > inboxPageSize && last ? last.id : null });
}

/** Which of the actor's messages to mark read: one (opened), or all of them (全部标为已读). */
export type ReadTarget = { messageId: number } | { all: true };

/**
 * Marks the actor's own unread messages read (one, or all) and answers how
 * many changed. A message of someone else is left alone and answered as
 * missing, like an id that does not exist.
 */
export function markMessagesRead(context: KeylessContext, actor: Actor, target: ReadTarget): Outcome<{ marked: number }> {
  if (!authorize(actor, canReadMessages)) return failure(403, { code: 'errors.forbidden.message' });
  const connection = connectionOf(context.db);
  const own = '(recipient_user_id = ? OR (? IS NOT NULL AND recipient_member_id = ?))';
  const owner = [actor.userId, actor.memberId ?? null, actor.memberId ?? null];
  return writeTransaction(connection, () => {
    if ('messageId' in target) {
      const found = connection.prepare(`SELECT 1 FROM messages WHERE id = ? AND ${own}`).get(target.messageId, ...owner);
      if (!found) return failure(404, { code: 'messages.error.message_not_found' });
    }
    const which = 'messageId' in target ? 'id = ? AND' : '';
    const parameters = 'messageId' in target ? [target.messageId] : [];
    const changed = connection.prepare(`UPDATE messages SET read_at_ms = ? WHERE ${which} ${own} AND read_at_ms IS NULL`).run(nowOf(context), ...parameters, ...owner).changes;
    return success({ marked: changed });
  });
}
