import { connectionOf } from '../../db/client.ts';
import { nowOf, type KeylessContext } from '../kernel/context.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { inQuietHours, quietHoursEnd } from './quiet-hours.ts';
import { SmsSendError, type SmsToSend, type SmsTransport } from './transports.ts';

/**
 * The SMS job (src/jobs: sendSms): claims due outbox rows atomically, sends
 * them, records each answer. A claim is a lease: a row stays 'sending' until
 * its answer is recorded or the lease runs out (a crash), so two senders
 * never hold the same row; a row whose lease ran out is sent again with the
 * same idempotency key. Failures wait 30 s, 1, 2, 4 ... minutes (at most an
 * hour, never in quiet hours) and give up after `maximumAttempts`.
 */
export const maximumAttempts = 8;
const leaseMs = 2 * 60_000;
const firstBackOffMs = 30_000;
const longestBackOffMs = 3_600_000;

export function backOffMs(attempts: number): number {
  return Math.min(longestBackOffMs, firstBackOffMs * 2 ** Math.max(0, attempts - 1));
}

interface Claimed extends SmsToSend {
  attempts: number;
}

/** Claims up to `limit` due rows in one write transaction; none in quiet hours. */
export function claimDueSms(context: KeylessContext, limit: number): Claimed[] {
  const at = nowOf(context);
  if (inQuietHours(at)) return [];
  const connection = connectionOf(context.db);
  return writeTransaction(connection, () => {
    const due = connection
      .prepare(`SELECT o.id, o.text, o.attempts, m.phone FROM sms_outbox o JOIN members m ON m.id = o.member_id
                WHERE (o.status = 'pending' AND o.next_attempt_at_ms <= ?) OR (o.status = 'sending' AND o.claimed_until_ms <= ?)
                ORDER BY o.next_attempt_at_ms, o.id LIMIT ?`)
      .all(at, at, limit) as { id: number; text: string; attempts: number; phone: string | null }[];
    const claim = connection.prepare("UPDATE sms_outbox SET status = 'sending', claimed_until_ms = ?, attempts = attempts + 1 WHERE id = ?");
    const claimed: Claimed[] = [];
    for (const row of due) {
      claim.run(at + leaseMs, row.id);
      if (row.phone === null) settleFailure(context, row.id, row.attempts + 1, 'no phone', true);
      else claimed.push({ id: row.id, text: row.text, phone: row.phone, attempts: row.attempts + 1 });
    }
    return claimed;
  });
}

function settleSent(context: KeylessContext, id: number, gatewayId: string): void {
  writeTransaction(connectionOf(context.db), (connection) => {
    connection
      .prepare("UPDATE sms_outbox SET status = 'sent', gateway_id = ?, sent_at_ms = ?, claimed_until_ms = NULL, last_error = NULL WHERE id = ? AND status = 'sending'")
      .run(gatewayId, nowOf(context), id);
  });
}

function settleFailure(context: KeylessContext, id: number, attempts: number, reason: string, final = false): void {
  const at = nowOf(context);
  const giveUp = final || attempts >= maximumAttempts;
  writeTransaction(connectionOf(context.db), (connection) => {
    connection
      .prepare("UPDATE sms_outbox SET status = ?, next_attempt_at_ms = ?, claimed_until_ms = NULL, last_error = ? WHERE id = ? AND status = 'sending'")
      .run(giveUp ? 'failed' : 'pending', quietHoursEnd(at + backOffMs(attempts)), reason, id);
  });
}

/** One pass of the job: claim, send (in parallel), record. Answers how many were sent. */
export async function sendDueSms(context: KeylessContext, transport: SmsTransport, limit = 20): Promise<number> {
  const claimed = claimDueSms(context, limit);
  const results = await Promise.all(claimed.map(async (sms) => {
    try {
      const answer = await transport.send(sms);
      settleSent(context, sms.id, answer.gatewayId);
      return 1;
    } catch (error) {
      settleFailure(context, sms.id, sms.attempts, error instanceof SmsSendError ? error.message : 'send failed');
      return 0;
    }
  }));
  return results.reduce<number>((sum, sent) => sum + sent, 0);
}
