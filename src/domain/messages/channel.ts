import { connectionOf } from '../../db/client.ts';
import { maskPhone } from '../../lib/mask.ts';
import { authorize, type Actor } from '../access/authorize.ts';
import { recordAudit } from '../audit/audit.ts';
import { nowOf, type KeylessContext } from '../kernel/context.ts';
import { failure, success, type Outcome, type Refusal } from '../kernel/outcome.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { regionRow } from '../regions/regions.ts';
import { canSetMemberChannel } from './permissions.ts';

/**
 * Each member's channel: 'inbox' only (the default) or 'sms' too. The member
 * chooses it signed in; a coordinator chooses it for a member in scope (one
 * without a smartphone). A member outside the scope answers like a missing one.
 */
export const channels = ['inbox', 'sms'] as const;
export type Channel = (typeof channels)[number];

export interface MemberChannel {
  memberId: number;
  realName: string;
  /** Masked, or null when the member has no phone (SMS cannot be chosen). */
  maskedPhone: string | null;
  channel: Channel;
}

const notFound = () => failure(404, { code: 'messages.error.member_not_found' });

function memberChannelRow(context: KeylessContext, memberId: number) {
  return connectionOf(context.db)
    .prepare(`SELECT m.id AS memberId, m.real_name AS realName, m.phone, m.village_code AS villageCode, m.status, coalesce(c.channel, 'inbox') AS channel
              FROM members m LEFT JOIN member_message_choices c ON c.member_id = m.id WHERE m.id = ?`)
    .get(memberId) as { memberId: number; realName: string; phone: string | null; villageCode: string; status: string; channel: Channel } | undefined;
}

/** The 403 of someone who may not set another member's channel (the role, before any lookup). */
export function memberChannelAccess(actor: Actor): Refusal | null {
  return authorize(actor, canSetMemberChannel) ? null : failure(403, { code: 'errors.forbidden.message' });
}

/**
 * The member whose channel the actor may see and set: their own, or (for a
 * coordinator) one in scope. `memberId` null means "my own" (/messages/choice); an id is
 * the coordinator's page, even for their own member record.
 */
export function channelOf(context: KeylessContext, actor: Actor, memberId: number | null): Outcome<MemberChannel & { villageCode: string }> {
  const own = memberId === null;
  const denied = own ? null : memberChannelAccess(actor);
  if (denied) return denied;
  const id = memberId ?? actor.memberId ?? null;
  if (id === null) return notFound();
  const row = memberChannelRow(context, id);
  if (!row || row.status === 'rejected' || row.status === 'pending') return notFound();
  if (!own) {
    const village = regionRow(context.db, row.villageCode);
    if (!village || !authorize(actor, canSetMemberChannel, { regionPath: village.path })) return notFound();
  }
  return success({ memberId: row.memberId, realName: row.realName, maskedPhone: row.phone ? maskPhone(row.phone) : null, channel: row.channel, villageCode: row.villageCode });
}

/** Sets the channel; SMS needs a phone. Audited (who chose, for whom). */
export function setChannel(context: KeylessContext, actor: Actor, memberId: number | null, channel: string): Outcome<MemberChannel> {
  const found = channelOf(context, actor, memberId);
  if (!found.ok) return found;
  if (channel !== 'inbox' && channel !== 'sms') return failure(422, { code: 'messages.error.channel_invalid', field: 'channel' });
  if (channel === 'sms' && found.value.maskedPhone === null) return failure(422, { code: 'messages.error.no_phone', field: 'channel' });
  const at = nowOf(context);
  writeTransaction(connectionOf(context.db), (connection) => {
    connection
      .prepare(`INSERT INTO member_message_choices (member_id, channel, changed_by_user_id, changed_at_ms) VALUES (?, ?, ?, ?)
                ON CONFLICT (member_id) DO UPDATE SET channel = excluded.channel, changed_by_user_id = excluded.changed_by_user_id, changed_at_ms = excluded.changed_at_ms`)
      .run(found.value.memberId, channel, actor.userId, at);
    recordAudit(connection, { action: 'messages.channel', actorUserId: actor.userId, objectType: 'member', objectId: found.value.memberId, regionCode: found.value.villageCode, detail: { channel } }, at);
  });
  return success({ ...found.value, channel });
}
