import { eq } from 'drizzle-orm';
import { settings } from '../../db/schema/core.ts';
import { connectionOf } from '../../db/client.ts';
import type { Actor } from '../access/authorize.ts';
import { recordAudit } from '../audit/audit.ts';
import { ok, refuse, type KeylessContext, type HoursOutcome, type Problem } from './context.ts';
import { isTopOffice } from './standard.ts';
import { nowOf } from '../kernel/context.ts';
import { writeTransaction } from '../kernel/transaction.ts';

/** Network policy for hours, editable by the top office. Stored in `settings` under hours.* keys. */
export interface HoursPolicy {
  /** How many days back a service may be logged (service date >= today - this). */
  backdateDays: number;
  /** Most minutes one volunteer may log on one calendar day. */
  dailyMaxMinutes: number;
  /** Days an unreviewed record waits before it expires. */
  unreviewedExpiryDays: number;
  /** A record confirmed on the spot by the elder's card code is approved without review. */
  autoApproveCardConfirmed: boolean;
}

export const defaultPolicy: HoursPolicy = {
  backdateDays: 30,
  dailyMaxMinutes: 16 * 60,
  unreviewedExpiryDays: 30,
  autoApproveCardConfirmed: true,
};

const keys = {
  backdateDays: 'hours.backdate_days',
  dailyMaxMinutes: 'hours.daily_max_minutes',
  unreviewedExpiryDays: 'hours.unreviewed_expiry_days',
  autoApproveCardConfirmed: 'hours.auto_approve_card_confirmed',
} as const;

const policySql = `SELECT key, value FROM settings WHERE key IN (${Object.values(keys).map(() => '?').join(', ')})`;

export function readPolicy(context: KeylessContext): HoursPolicy {
  // Raw SQL on the connection's statement cache: read on every log request.
  const rows = connectionOf(context.db).prepare(policySql).all(...Object.values(keys)) as { key: string; value: string }[];
  const value = new Map(rows.map((row) => [row.key, row.value]));
  const integer = (key: string, fallback: number) => {
    const parsed = Number(value.get(key));
    return value.has(key) && Number.isInteger(parsed) ? parsed : fallback;
  };
  return {
    backdateDays: integer(keys.backdateDays, defaultPolicy.backdateDays),
    dailyMaxMinutes: integer(keys.dailyMaxMinutes, defaultPolicy.dailyMaxMinutes),
    unreviewedExpiryDays: integer(keys.unreviewedExpiryDays, defaultPolicy.unreviewedExpiryDays),
    autoApproveCardConfirmed: value.has(keys.autoApproveCardConfirmed)
      ? value.get(keys.autoApproveCardConfirmed) === 'true'
      : defaultPolicy.autoApproveCardConfirmed,
  };
}

export interface PolicyInput {
  backdateDays: string;
  dailyMaxHours: string;
  unreviewedExpiryDays: string;
  autoApproveCardConfirmed: boolean;
}

function wholeNumber(raw: string, min: number, max: number, field: string, problems: Problem[]): number {
  const trimmed = raw.trim();
  const parsed = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || parsed < min || parsed > max) {
    problems.push({ code: 'hours.error.policy_number', field, params: { min, max } });
    return 0;
  }
  return parsed;
}

/** Only the top office of the network changes the policy. */
export function updatePolicy(context: KeylessContext, actor: Actor, input: PolicyInput): HoursOutcome<HoursPolicy> {
  if (!isTopOffice(context, actor)) return refuse(403, { code: 'hours.error.top_office_only' });
  const problems: Problem[] = [];
  const policy: HoursPolicy = {
    backdateDays: wholeNumber(input.backdateDays, 0, 365, 'backdateDays', problems),
    dailyMaxMinutes: wholeNumber(input.dailyMaxHours, 1, 24, 'dailyMaxHours', problems) * 60,
    unreviewedExpiryDays: wholeNumber(input.unreviewedExpiryDays, 1, 365, 'unreviewedExpiryDays', problems),
    autoApproveCardConfirmed: input.autoApproveCardConfirmed,
  };
  if (problems.length > 0) return refuse(422, ...problems);
  const at = nowOf(context);
  writeTransaction(context.db, (tx) => {
      for (const [name, key] of Object.entries(keys)) {
        const stored = String(policy[name as keyof HoursPolicy]);
        tx.delete(settings).where(eq(settings.key, key)).run();
        tx.insert(settings).values({ key, value: stored, updatedAtMs: at, updatedByUserId: actor.userId }).run();
      }
      recordAudit(tx as never, {
        action: 'hours.policy_update', actorUserId: actor.userId, objectType: 'settings', objectId: 'hours',
        detail: { backdateDays: policy.backdateDays, dailyMaxMinutes: policy.dailyMaxMinutes, unreviewedExpiryDays: policy.unreviewedExpiryDays, autoApprove: policy.autoApproveCardConfirmed },
      }, at);
    });
  return ok(policy);
}
