import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { settings, users } from '../../db/schema/core.ts';
import type { PeopleKeys } from '../../lib/crypto.ts';
import { actorOf } from '../auth/users.ts';
import { registerElder } from '../people/elders/register.ts';
import type { KeylessContext } from '../hours/context.ts';
import { seedFirstStandard } from '../hours/first-standard.ts';
import { logService } from '../hours/log.ts';
import { approveRecord, rejectRecord } from '../hours/review.ts';
import { addDays, dayMs, shanghaiDateOf, shanghaiToUtcMs } from '../hours/time.ts';
import { registerMember } from '../people/members/register.ts';
import { createActivity, createTeam } from '../people/teams/teams.ts';
import { demoIdNumber, demoVolunteerIdNumber } from './id-numbers.ts';
import { present } from '../../lib/assert.ts';

const seededKey = 'demo.hours_seeded_at_ms';

interface DemoVolunteer { key: string; name: string; village: string; birthDate: string; phone: string | null; gender: 'male' | 'female' }
interface DemoElder { key: string; name: string; village: string; birthDate: string; categories: string[]; interval: number; member?: boolean; gender: 'male' | 'female' }

const volunteers: DemoVolunteer[] = [
  { key: 'shixiulan', name: '石秀兰', village: '433123101001', birthDate: '1960-03-21', phone: '13900000021', gender: 'female' },
  { key: 'majinhua', name: '麻金花', village: '433123101002', birthDate: '1962-08-09', phone: null, gender: 'female' },
  { key: 'wuguoqing', name: '吴国庆', village: '433123102001', birthDate: '1957-12-01', phone: '13900000022', gender: 'male' },
  { key: 'luoxiaomei', name: '罗小梅', village: '430524101001', birthDate: '1963-05-16', phone: '13900000023', gender: 'female' },
];

const demoElders: DemoElder[] = [
  { key: 'longyulan', name: '龙玉兰', village: '433123101001', birthDate: '1939-02-14', categories: ['living_alone', 'advanced_age'], interval: 30, member: true, gender: 'female' },
  { key: 'yanglaohan', name: '杨老汉', village: '433123101001', birthDate: '1944-10-02', categories: ['empty_nest'], interval: 30, gender: 'male' },
  { key: 'tiannainai', name: '田桂香', village: '433123101002', birthDate: '1941-06-30', categories: ['left_behind', 'advanced_age'], interval: 14, gender: 'female' },
  { key: 'wuyeye', name: '吴大山', village: '433123102001', birthDate: '1946-01-11', categories: ['living_alone'], interval: 30, gender: 'male' },
  { key: 'linainai', name: '李翠英', village: '430524101001', birthDate: '1940-09-09', categories: ['living_alone', 'advanced_age'], interval: 30, gender: 'female' },
  { key: 'zhangyeye', name: '张德明', village: '430524101002', birthDate: '1943-04-04', categories: ['empty_nest'], interval: 30, gender: 'male' },
];

/** What each demo volunteer does, and for whom; cycled over the months. */
const routines: Record<string, { type: string; elder: string | null; minutes: number }[]> = {
  wangxiuying: [
    { type: 'visit', elder: 'longyulan', minutes: 60 }, { type: 'cleaning', elder: 'yanglaohan', minutes: 90 },
    { type: 'meal_delivery', elder: 'longyulan', minutes: 40 }, { type: 'companionship', elder: 'yanglaohan', minutes: 60 },
  ],
  shixiulan: [{ type: 'visit', elder: 'yanglaohan', minutes: 45 }, { type: 'medical_escort', elder: 'longyulan', minutes: 180 }],
  majinhua: [{ type: 'visit', elder: 'tiannainai', minutes: 60 }, { type: 'health_talk', elder: null, minutes: 90 }],
  wuguoqing: [{ type: 'visit', elder: 'wuyeye', minutes: 60 }, { type: 'mutual_aid', elder: null, minutes: 120 }],
  luoxiaomei: [{ type: 'visit', elder: 'linainai', minutes: 60 }, { type: 'bathing', elder: 'linainai', minutes: 60 }],
};

const rejectionReasons = ['时间与老人确认的不一致，请核对后重新登记', '同一天已有相同的探访记录'];

/**
 * The hours part of the demo network: the first version of the unified
 * standard (effective 2025-01-01), demo volunteers and registered elders in
 * 凤凰县 and 隆回县, a team with today's activity, and about three months of
 * service records: older ones approved (a few rejected with a reason),
 * the last week's waiting in the queue. 张德明 is never visited and 吴大山
 * not this month, so the coverage page has someone to chase.
 *
 * Call after seedDemo (needs its regions and users) and before
 * seedRedemption (so these transfers come first in the ledger's time order):
 *   await seedDemo(db); seedHours(db, secrets, Date.now()); await seedRedemption(db, secrets);
 * Runs once (a settings key); returns false when it did nothing.
 */
export function seedHours(db: Db, keys: PeopleKeys, nowMs: number = Date.now()): boolean {
  if (db.select().from(settings).where(eq(settings.key, seededKey)).get()) return false;
  const userId = (phone: string) => db.select({ id: users.id }).from(users).where(eq(users.phone, phone)).get()?.id;
  const adminId = userId('13800000006');
  const coordinatorId = userId('13800000002');
  const countyOfficeId = userId('13800000004');
  const cityOfficeId = userId('13800000005');
  const volunteerUserId = userId('13800000001');
  if (!adminId || !coordinatorId || !countyOfficeId || !cityOfficeId || !volunteerUserId) return false;
  const start = nowMs - 92 * dayMs;
  seedFirstStandard(db, '2025-01-01', start, adminId);

  const clock = { ms: start };
  const people = { db, keys, now: () => clock.ms };
  const peopleAdmin = actorOf(db, adminId);
  const must = <T>(outcome: { ok: true; value: T } | { ok: false; problems: unknown }, what: string): T => {
    if (!outcome.ok) throw new Error(`demo hours seed: ${what}: ${JSON.stringify(outcome.problems)}`);
    return outcome.value;
  };

  const memberIds: Record<string, number> = {};
  let sequence = 600;
  for (const volunteer of volunteers) {
    sequence += 2;
    memberIds[volunteer.key] = must(registerMember(people, peopleAdmin, {
      realName: volunteer.name, phone: volunteer.phone, idNumber: demoIdNumber(volunteer.village.slice(0, 6), volunteer.birthDate, sequence, volunteer.gender), villageCode: volunteer.village,
    }), volunteer.name).memberId;
  }
  // The demo volunteer sign-in (王秀英) needs a member record; the redemption seed may have made it already.
  const linked = db.select({ memberId: users.memberId }).from(users).where(eq(users.id, volunteerUserId)).get()?.memberId ?? null;
  if (linked === null) {
    const wang = must(registerMember(people, peopleAdmin, { realName: '王秀英', phone: '13800000001', idNumber: demoVolunteerIdNumber, villageCode: '433123101001' }), '王秀英');
    db.update(users).set({ memberId: wang.memberId }).where(and(eq(users.id, volunteerUserId), isNull(users.memberId))).run();
    memberIds.wangxiuying = wang.memberId;
  } else {
    memberIds.wangxiuying = linked;
  }
  const elderIds: Record<string, number> = {};
  for (const elder of demoElders) {
    sequence += 2;
    const idNumber = demoIdNumber(elder.village.slice(0, 6), elder.birthDate, sequence, elder.gender);
    const memberId = elder.member ? must(registerMember(people, peopleAdmin, { realName: elder.name, phone: null, idNumber, villageCode: elder.village }), elder.name).memberId : null;
    elderIds[elder.key] = must(registerElder(people, peopleAdmin, {
      realName: elder.name, idNumber, villageCode: elder.village, memberId, categories: elder.categories, visitIntervalDays: elder.interval,
      consent: { givenBy: 'self', method: 'written' },
    }), elder.name).elderId;
  }
  const team = must(createTeam(people, peopleAdmin, { name: '山江镇银龄志愿服务队', sponsorUnit: '凤凰县民政局', sponsorKind: 'member_unit', regionCode: '433123101' }), 'team');
  clock.ms = nowMs;
  must(createActivity(people, peopleAdmin, team.teamId, { activityDate: shanghaiDateOf(nowMs), place: '老家寨村文化广场', theme: '银龄健康操与防诈骗讲座' }), 'activity');

  const context: KeylessContext = { db, now: () => clock.ms };
  const volunteerActor = actorOf(db, volunteerUserId);
  const coordinator = actorOf(db, coordinatorId);
  const countyOffice = actorOf(db, countyOfficeId);
  const admin = actorOf(db, adminId);
  const cityOffice = actorOf(db, cityOfficeId);
  const today = shanghaiDateOf(nowMs);
  let counter = 0;
  // Chronological, so ledger timestamps follow the service dates.
  for (let daysAgo = 88; daysAgo >= 1; daysAgo -= 1) {
    const date = addDays(today, -daysAgo);
    for (const [key, routine] of Object.entries(routines)) {
      const every = key === 'wangxiuying' ? 4 : key === 'wuguoqing' ? 10 : 6;
      const offset = Object.keys(routines).indexOf(key);
      if ((daysAgo + offset) % every !== 0) continue;
      if (key === 'wuguoqing' && daysAgo < 30) continue; // 吴大山 not visited this month
      const step = present(routine[Math.floor(daysAgo / every) % routine.length], 'a routine has steps');
      const startTime = `${String(8 + (counter % 8)).padStart(2, '0')}:${counter % 2 === 0 ? '00' : '30'}`;
      counter += 1;
      const startMs = shanghaiToUtcMs(date, startTime);
      clock.ms = startMs + step.minutes * 60_000 + 2 * 3600_000;
      const self = key === 'wangxiuying';
      const logger = self ? volunteerActor : key === 'luoxiaomei' || key === 'wuguoqing' ? admin : coordinator;
      const logged = logService(context, logger, {
        idempotencyKey: `00000000-de00-4000-8000-${String(counter).padStart(12, '0')}`,
        volunteerMemberId: self ? null : present(memberIds[key], 'demo data holds memberIds[key]'),
        serviceTypeCode: step.type,
        elderId: step.elder ? present(elderIds[step.elder], 'demo data holds elderIds[step.elder]') : null,
        villageCode: volunteers.find((v) => v.key === key)?.village ?? '433123101001',
        date, startTime, durationMinutes: step.minutes, note: null,
      });
      if (!logged.ok) throw new Error(`demo hours seed: ${key} ${date}: ${JSON.stringify(logged.problems)}`);
      // The last week waits in the queue; early in a month, its days in this month are reviewed
      // (all but yesterday's), so the first dashboard a newcomer opens has this month's activity.
      const carriedIntoMonth = Number(today.slice(8)) <= 8 && date >= `${today.slice(0, 8)}01` && daysAgo >= 2;
      if (daysAgo <= 7 && !carriedIntoMonth) continue;
      clock.ms += dayMs;
      const record = logged.value.record;
      // Nobody reviews what they entered: the county office reviews the coordinator's entries, the city office 隆回县's.
      const reviewerFor = record.countyCode === '430524' ? cityOffice : logger === volunteerActor ? coordinator : countyOffice;
      if (counter % 11 === 0) rejectRecord(context, reviewerFor, record.id, present(rejectionReasons[counter % rejectionReasons.length], 'rejection reasons are listed'));
      else approveRecord(context, reviewerFor, record.id);
    }
  }
  db.insert(settings).values({ key: seededKey, value: String(nowMs), updatedAtMs: nowMs }).run();
  return true;
}
