import type { Db } from '../../db/client.ts';
import type { PeopleKeys } from '../../lib/crypto.ts';
import { actorOf } from '../auth/users.ts';
import { shanghaiDateOf } from '../hours/time.ts';
import { listPolicyVersions, publishPolicyVersion, rulesOfRow } from '../redemption/policy-versions.ts';

/**
 * The demo's upcoming policy version (issue 20): the care age moves from 60
 * to 65 (registered elders with special difficulties keep 60, as Shanghai's
 * 2026 rules), from the first day of the month three months after the demo's
 * now, so the administrator sees history and an upcoming version on /policy.
 * Published by the demo administrator through the domain (audited like any
 * publication). Runs once: skipped when any version beyond the first exists.
 */
export function upcomingDemoPolicyDate(nowMs: number): string {
  const [year, month] = shanghaiDateOf(nowMs).split('-').map(Number) as [number, number];
  const index = year * 12 + (month - 1) + 3;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}-01`;
}

export function seedPolicy(db: Db, keys: PeopleKeys, nowMs: number): boolean {
  const versions = listPolicyVersions(db);
  const first = versions.find((row) => row.versionNumber === 1);
  if (!first || versions.length > 1) return false;
  const adminId = db.$client.prepare("SELECT id FROM users WHERE phone = '13800000006'").pluck().get() as number | undefined;
  if (adminId === undefined) return false;
  const published = publishPolicyVersion({ db, keys, now: () => nowMs }, actorOf(db, adminId), {
    effectiveDate: upcomingDemoPolicyDate(nowMs),
    rules: { ...rulesOfRow(first), careAgeYears: 65, careAgeRegisteredYears: 60 },
    note: '照护服务兑换年龄调整为 65 岁，登记的特殊困难老人仍为 60 岁（参照上海 2026 年规则）',
    idempotencyKey: 'demo-policy-version-2',
  });
  if (!published.ok) throw new Error(`demo policy version: ${JSON.stringify(published.problems)}`);
  return true;
}
