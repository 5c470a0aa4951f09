import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { settings, users } from '../../db/schema/core.ts';
import { present } from '../../lib/assert.ts';
import type { PeopleKeys } from '../../lib/crypto.ts';
import { actorOf } from '../auth/users.ts';
import { seedFirstStandard } from '../hours/first-standard.ts';
import { logService } from '../hours/log.ts';
import { approveRecord } from '../hours/review.ts';
import { addDays, dayMs, shanghaiDateOf, shanghaiToUtcMs } from '../hours/time.ts';
import { registerMember } from '../people/members/register.ts';
import { awardDueStars, publishNotice } from '../stars/office.ts';
import { demoIdNumber } from './id-numbers.ts';
import { giveEveryCardholderTheDemoPin } from './redemption.ts';

const historyKey = 'demo.star_history_seeded_at_ms';
const noticesKey = 'demo.star_notices_seeded_at_ms';

/** Volunteers with a long record: their verified minutes (whole 4-hour services of mutual aid, the last one shorter). */
const starVolunteers = [
  { key: 'yangchunhua', name: '杨春花', village: '433123102001', birthDate: '1958-04-02', minutes: 310 * 60 },
  { key: 'longjinxiang', name: '龙金香', village: '433123101002', birthDate: '1961-09-18', minutes: 130 * 60 },
  { key: 'tianxiumei', name: '田秀梅', village: '433123102001', birthDate: '1960-01-25', minutes: 105 * 60 },
  { key: 'wuguiying', name: '吴桂英', village: '433123101002', birthDate: '1962-11-30', minutes: 99 * 60 },
] as const;

const recordMinutes = 240;

function userIdOf(db: Db, phone: string): number {
  return present(db.select({ id: users.id }).from(users).where(eq(users.phone, phone)).get(), `demo user ${phone}`).id;
}

/**
 * The star part of the demo, first half: four volunteers of 凤凰县 with a
 * long record of mutual aid, served more than three months ago (before the
 * hours seed's window, so its figures stay as they were): 杨春花 310 hours,
 * 龙金香 130, 田秀梅 105 and 吴桂英 99, one record short of her first star.
 * Logged by the admin and approved by the county office, through the domain,
 * so approvals propose the stars as they would. Call after seedPeople and
 * before seedHours (ledger time order). Runs once.
 */
export function seedStarHistory(db: Db, keys: PeopleKeys, nowMs: number): boolean {
  if (db.select().from(settings).where(eq(settings.key, historyKey)).get()) return false;
  const adminId = userIdOf(db, '13800000006');
  const admin = actorOf(db, adminId);
  const countyOffice = actorOf(db, userIdOf(db, '13800000004'));
  const clock = { ms: nowMs - 400 * dayMs };
  // The demo standard's date (as the hours seed gives it), or the first service's when a seed runs earlier than 2026.
  seedFirstStandard(db, [shanghaiDateOf(clock.ms), '2025-01-01'].sort()[0] ?? '2025-01-01', clock.ms, adminId);
  const context = { db, keys, now: () => clock.ms };
  const today = shanghaiDateOf(nowMs);
  let sequence = 880;
  let counter = 0;
  for (const volunteer of starVolunteers) {
    sequence += 2;
    const registered = registerMember(context, admin, { realName: volunteer.name, phone: null, idNumber: demoIdNumber('433123', volunteer.birthDate, sequence, 'female'), villageCode: volunteer.village });
    if (!registered.ok) throw new Error(`demo stars seed: ${volunteer.name}: ${JSON.stringify(registered.problems)}`);
    for (let logged = 0, day = 0; logged < volunteer.minutes; day += 1) {
      const minutes = Math.min(recordMinutes, volunteer.minutes - logged);
      const date = addDays(today, -(380 - day * 3));
      counter += 1;
      clock.ms = shanghaiToUtcMs(date, '14:00');
      const record = logService(context, admin, {
        idempotencyKey: `00000000-5a00-4000-8000-${String(counter).padStart(12, '0')}`, volunteerMemberId: registered.value.memberId,
        serviceTypeCode: 'mutual_aid', villageCode: volunteer.village, date, startTime: '09:00', durationMinutes: minutes, note: null,
      });
      if (!record.ok) throw new Error(`demo stars seed: ${volunteer.name} ${date}: ${JSON.stringify(record.problems)}`);
      clock.ms += 3_600_000;
      const approved = approveRecord(context, countyOffice, record.value.record.id);
      if (!approved.ok) throw new Error(`demo stars seed: approve ${volunteer.name} ${date}: ${JSON.stringify(approved.problems)}`);
      logged += minutes;
    }
  }
  db.insert(settings).values({ key: historyKey, value: String(nowMs), updatedAtMs: nowMs }).run();
  return true;
}

/**
 * The star part of the demo, second half (after seedRedemption): the county
 * office put 杨春花's and 龙金香's stars on notice two months ago and they
 * were awarded after it; 田秀梅's first star went on notice yesterday and is
 * in progress on /notices. Every cardholder gets the demo PIN.
 */
export function seedStarNotices(db: Db, keys: PeopleKeys, nowMs: number): boolean {
  if (db.select().from(settings).where(eq(settings.key, noticesKey)).get()) return false;
  const countyOffice = actorOf(db, userIdOf(db, '13800000004'));
  const clock = { ms: nowMs - 60 * dayMs };
  const context = { db, now: () => clock.ms };
  for (const name of ['杨春花', '龙金香']) {
    for (const id of idsOf(db, name)) if (!publishNotice(context, countyOffice, id).ok) throw new Error(`demo stars seed: notice ${name}`);
  }
  clock.ms = nowMs - 45 * dayMs;
  awardDueStars(context);
  clock.ms = nowMs - dayMs;
  for (const id of idsOf(db, '田秀梅')) if (!publishNotice(context, countyOffice, id).ok) throw new Error('demo stars seed: notice 田秀梅');
  giveEveryCardholderTheDemoPin(db, keys, nowMs);
  db.insert(settings).values({ key: noticesKey, value: String(nowMs), updatedAtMs: nowMs }).run();
  return true;
}

/** The proposed stars of a demo volunteer, lowest first. */
function idsOf(db: Db, name: string): number[] {
  return (db.$client.prepare(`SELECT a.id FROM star_awards a JOIN members m ON m.id = a.member_id WHERE m.real_name = ? AND a.status = 'proposed' ORDER BY a.star`).pluck().all(name) as number[]);
}
