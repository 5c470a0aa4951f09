import { connectionOf, type Sqlite } from '../../db/client.ts';
import { assert } from '../../lib/assert.ts';
import { nowOf, type KeylessContext } from '../kernel/context.ts';
import type { MessageEvent } from './events.ts';
import { renderSms } from './sms-text.ts';
import { quietHoursEnd } from './quiet-hours.ts';

/**
 * The one way to tell someone something (docs/MESSAGES.md): writes the inbox
 * message and, for a member who chose SMS and has a mobile phone, an SMS
 * outbox row with its text rendered now. It runs inside the caller's write
 * transaction, so the message exists exactly when what it reports does (a
 * rejected record and its message commit or roll back together). Answers the
 * message id, or null when the event's dedupe key was already used.
 */
export function notify(context: KeylessContext, event: MessageEvent): number | null {
  const connection = connectionOf(context.db);
  assert(connection.inTransaction, 'notify() runs inside the caller\'s write transaction');
  const at = nowOf(context);
  const to = 'memberId' in event.to ? { userId: null, memberId: event.to.memberId } : { userId: event.to.userId, memberId: null };
  const inserted = connection
    .prepare(`INSERT INTO messages (recipient_user_id, recipient_member_id, kind, params_json, dedupe_key, created_at_ms)
              VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
    .run(to.userId, to.memberId, event.kind, JSON.stringify(event.params), event.dedupeKey ?? null, at);
  if (inserted.changes === 0) return null;
  const messageId = Number(inserted.lastInsertRowid);
  if (to.memberId !== null && choseSms(connection, to.memberId)) {
    connection
      .prepare('INSERT INTO sms_outbox (message_id, member_id, text, next_attempt_at_ms, created_at_ms) VALUES (?, ?, ?, ?, ?)')
      .run(messageId, to.memberId, renderSms(connection, event.kind, event.params), quietHoursEnd(at), at);
  }
  return messageId;
}

/** A member who chose SMS, is active and has a phone to send it to. */
function choseSms(connection: Sqlite, memberId: number): boolean {
  const row = connection
    .prepare(`SELECT 1 FROM member_message_choices c JOIN members m ON m.id = c.member_id
              WHERE c.member_id = ? AND c.channel = 'sms' AND m.status = 'active' AND m.phone IS NOT NULL`)
    .get(memberId);
  return row !== undefined;
}
