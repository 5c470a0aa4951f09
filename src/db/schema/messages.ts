import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { users } from './core.ts';
import { members } from './people.ts';

/**
 * The in-app inbox (消息, docs/MESSAGES.md). One row per message to one
 * recipient: a user (staff reminders) or a member (whoever of their logins
 * reads it). Only the kind and its parameters are stored; the words are
 * rendered when read, from the i18n catalogue in the reader's language.
 * `dedupe_key` makes a periodic reminder idempotent per period.
 */
export const messages = sqliteTable(
  'messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    recipientUserId: integer('recipient_user_id').references(() => users.id),
    recipientMemberId: integer('recipient_member_id').references(() => members.id),
    kind: text('kind').notNull(),
    paramsJson: text('params_json').notNull(),
    dedupeKey: text('dedupe_key'),
    createdAtMs: integer('created_at_ms').notNull(),
    readAtMs: integer('read_at_ms'),
  },
  (table) => [
    index('messages_user').on(table.recipientUserId, table.id),
    index('messages_member').on(table.recipientMemberId, table.id),
    // The header's unread count reads only these two partial indexes.
    index('messages_user_unread').on(table.recipientUserId).where(sql`${table.readAtMs} IS NULL`),
    index('messages_member_unread').on(table.recipientMemberId).where(sql`${table.readAtMs} IS NULL`),
    uniqueIndex('messages_dedupe_key').on(table.dedupeKey).where(sql`${table.dedupeKey} IS NOT NULL`),
    check('messages_recipient_present', sql`${table.recipientUserId} IS NOT NULL OR ${table.recipientMemberId} IS NOT NULL`),
  ],
);

/**
 * SMS waiting to be sent, one row per message to a member who chose SMS. The
 * text is rendered when the row is written; the phone is read from the member
 * at sending time and never stored here. The row id is the gateway's
 * idempotency key. `claimed_until_ms` is the lease of the sender that claimed it.
 */
export const smsOutbox = sqliteTable(
  'sms_outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    messageId: integer('message_id').notNull().references(() => messages.id),
    memberId: integer('member_id').notNull().references(() => members.id),
    text: text('text').notNull(),
    status: text('status', { enum: ['pending', 'sending', 'sent', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAtMs: integer('next_attempt_at_ms').notNull(),
    claimedUntilMs: integer('claimed_until_ms'),
    gatewayId: text('gateway_id'),
    lastError: text('last_error'),
    createdAtMs: integer('created_at_ms').notNull(),
    sentAtMs: integer('sent_at_ms'),
  },
  (table) => [
    index('sms_outbox_due').on(table.status, table.nextAttemptAtMs),
    index('sms_outbox_message').on(table.messageId),
    check('sms_outbox_status_valid', sql`${table.status} IN ('pending','sending','sent','failed')`),
    check('sms_outbox_attempts_non_negative', sql`${table.attempts} >= 0`),
  ],
);

/** SMS templates per message kind, and the network signature (kind 'signature'), as the top office set them; a kind without a row uses the catalogue's default. */
export const smsTemplates = sqliteTable('sms_templates', {
  kind: text('kind').primaryKey(),
  body: text('body').notNull(),
  updatedByUserId: integer('updated_by_user_id').references(() => users.id),
  updatedAtMs: integer('updated_at_ms').notNull(),
});

/** A member's choice of channel: 'inbox' only (no row) or 'sms' too; set by the member or by a coordinator in scope. */
export const memberMessageChoices = sqliteTable(
  'member_message_choices',
  {
    memberId: integer('member_id').primaryKey().references(() => members.id),
    channel: text('channel', { enum: ['inbox', 'sms'] }).notNull(),
    changedByUserId: integer('changed_by_user_id').references(() => users.id),
    changedAtMs: integer('changed_at_ms').notNull(),
  },
  (table) => [check('member_message_choices_channel_valid', sql`${table.channel} IN ('inbox','sms')`)],
);
