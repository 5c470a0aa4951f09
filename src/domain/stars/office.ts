import { aliasedTable, and, desc, eq, inArray, sql } from 'drizzle-orm';
import { underAnyPath } from '../../db/conditions.ts';
import { regions } from '../../db/schema/core.ts';
import { members } from '../../db/schema/people.ts';
import { starAwards, starObjections, type StarAwardStatus } from '../../db/schema/stars.ts';
import { noticePeriod } from '../../lib/working-days.ts';
import { authorize, regionScopes, type Actor } from '../access/authorize.ts';
import { recordAudit } from '../audit/audit.ts';
import { roleRefusal } from '../hours/context.ts';
import { shanghaiDateOf } from '../hours/time.ts';
import { nowOf, type KeylessContext } from '../kernel/context.ts';
import { failure, success, type Outcome } from '../kernel/outcome.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { notify } from '../messages/notify.ts';
import { canManageStars } from './permissions.ts';
import { serviceMinutesOf } from './hours.ts';
import { defaultStarPolicy, starPolicyOn, starPolicyVersionsList } from './policy.ts';

export type StarAward = typeof starAwards.$inferSelect;

export interface OfficeObjection {
  id: number;
  reason: string;
  phoneMasked: string;
  status: string;
  resolution: string | null;
  createdAtMs: number;
}

export interface OfficeAward {
  id: number;
  star: number;
  status: StarAwardStatus;
  memberName: string;
  villageName: string;
  villageNameEn: string | null;
  serviceMinutes: number;
  noticeWorkingDays: number | null;
  noticeStartDate: string | null;
  noticeEndDate: string | null;
  withdrawnReason: string | null;
  /** The notice is over and no objection is open: the office may award it now. */
  due: boolean;
  objections: OfficeObjection[];
}

const village = aliasedTable(regions, 'village');

/**
 * The award an office asks to act on: the 403 page without the role
 * (whatever the id), and an award outside the office's region answered like
 * a missing one. The office of the awarding region or of a region above it acts.
 */
export function awardInScope(context: KeylessContext, actor: Actor, awardId: number): Outcome<StarAward> {
  const refused = roleRefusal(actor, canManageStars);
  if (refused) return refused;
  const row = context.db.select({ award: starAwards, path: regions.path }).from(starAwards)
    .innerJoin(regions, eq(regions.code, starAwards.awardingRegionCode)).where(eq(starAwards.id, awardId)).get();
  if (!row || !authorize(actor, canManageStars, { regionPath: row.path })) return failure(404, { code: 'stars.error.award_not_found' });
  return success(row.award);
}

/** Whether an award on notice may be awarded today: its last notice day is past and no objection is open. */
export function isDue(context: KeylessContext, award: Pick<StarAward, 'id' | 'status' | 'noticeEndDate'>, today: string): boolean {
  if (award.status !== 'on_notice' || !award.noticeEndDate || today <= award.noticeEndDate) return false;
  return !context.db.select({ id: starObjections.id }).from(starObjections).where(and(eq(starObjections.awardId, award.id), eq(starObjections.status, 'open'))).get();
}

/** The office's page: proposals, notices (with their objections) and the last decisions in its regions. */
export function starOfficePage(context: KeylessContext, actor: Actor): Outcome<OfficeAward[]> {
  const refused = roleRefusal(actor, canManageStars);
  if (refused) return refused;
  const scopes = regionScopes(actor, canManageStars);
  if (scopes.length === 0) return success([]);
  const rows = context.db.select({
    award: starAwards, memberName: members.realName, villageName: village.nameZh, villageNameEn: village.nameEn,
  }).from(starAwards)
    .innerJoin(regions, eq(regions.code, starAwards.awardingRegionCode))
    .innerJoin(members, eq(members.id, starAwards.memberId))
    .innerJoin(village, eq(village.code, starAwards.villageCode))
    .where(underAnyPath(regions.path, scopes))
    .orderBy(sql`CASE ${starAwards.status} WHEN 'proposed' THEN 0 WHEN 'on_notice' THEN 1 ELSE 2 END`, desc(starAwards.id))
    .limit(200).all();
  const ids = rows.map((row) => row.award.id);
  const objections = ids.length === 0 ? [] : context.db.select().from(starObjections).where(inArray(starObjections.awardId, ids)).orderBy(starObjections.id).all();
  const today = shanghaiDateOf(nowOf(context));
  return success(rows.map(({ award, memberName, villageName, villageNameEn }) => ({
    id: award.id, star: award.star, status: award.status, memberName, villageName, villageNameEn, serviceMinutes: award.serviceMinutes,
    noticeWorkingDays: award.noticeWorkingDays, noticeStartDate: award.noticeStartDate, noticeEndDate: award.noticeEndDate, withdrawnReason: award.withdrawnReason, due: isDue(context, award, today),
    objections: objections.filter((objection) => objection.awardId === award.id)
      .map(({ id, reason, phoneMasked, status, resolution, createdAtMs }) => ({ id, reason, phoneMasked, status, resolution, createdAtMs })),
  })));
}

/**
 * Puts a proposed star on public notice for the working days of the policy
 * in force today, from the next working day. Once only: a second publication
 * of the same award is refused.
 */
export function publishNotice(context: KeylessContext, actor: Actor, awardId: number): Outcome<StarAward> {
  return writeTransaction(context.db, () => {
    const found = awardInScope(context, actor, awardId);
    if (!found.ok) return found;
    const award = found.value;
    if (award.status !== 'proposed') return failure(409, { code: `stars.error.already_${award.status}` });
    const at = nowOf(context);
    const days = starPolicyOn(context, shanghaiDateOf(at)).noticeWorkingDays;
    const { startDate, endDate } = noticePeriod(shanghaiDateOf(at), days);
    const changes = { status: 'on_notice' as const, noticeWorkingDays: days, noticeStartDate: startDate, noticeEndDate: endDate, publishedByUserId: actor.userId, publishedAtMs: at };
    context.db.update(starAwards).set(changes).where(eq(starAwards.id, award.id)).run();
    recordAudit(context.db, { action: 'stars.notice_publish', actorUserId: actor.userId, objectType: 'star_award', objectId: award.id, regionCode: award.awardingRegionCode, ipAddress: actor.ipAddress ?? null, detail: { star: award.star, startDate, endDate, workingDays: days } }, at);
    return success({ ...award, ...changes });
  });
}

/**
 * Awards one due award (inside the caller's transaction), unless the
 * volunteer's verified hours fell below its threshold during the notice (a
 * record reversed): then it is withdrawn, with no typed reason (the page says
 * why). The audit names the actor, or none for the job.
 */
function settleDue(context: KeylessContext, award: StarAward, actorUserId: number | null, ipAddress: string | null): StarAward {
  const at = nowOf(context);
  const minutes = serviceMinutesOf(context.db, award.memberId);
  const threshold = thresholdMinutes(context, award);
  const audit = { actorUserId, objectType: 'star_award', objectId: award.id, regionCode: award.awardingRegionCode, ipAddress };
  if (minutes < threshold) {
    context.db.update(starAwards).set({ status: 'withdrawn', withdrawnAtMs: at, withdrawnByUserId: actorUserId }).where(eq(starAwards.id, award.id)).run();
    recordAudit(context.db, { ...audit, action: 'stars.withdraw_hours', detail: { star: award.star, memberId: award.memberId, serviceMinutes: minutes, thresholdMinutes: threshold } }, at);
    return { ...award, status: 'withdrawn', withdrawnAtMs: at };
  }
  context.db.update(starAwards).set({ status: 'awarded', awardedAtMs: at }).where(eq(starAwards.id, award.id)).run();
  recordAudit(context.db, { ...audit, action: 'stars.award', detail: { star: award.star, memberId: award.memberId } }, at);
  notify(context, { kind: 'star_awarded', to: { memberId: award.memberId }, params: { awardId: award.id, star: award.star } });
  return { ...award, status: 'awarded', awardedAtMs: at };
}

/** The threshold of an award's star under the policy version it was proposed by (the default when none). */
function thresholdMinutes(context: KeylessContext, award: StarAward): number {
  const policy = award.policyVersionId === null ? defaultStarPolicy : starPolicyVersionsList(context).find((version) => version.versionId === award.policyVersionId) ?? defaultStarPolicy;
  const level = policy.levels.find((candidate) => candidate.star === award.star);
  return (level?.minHours ?? 0) * 60;
}

/**
 * The office awards a star whose notice is over with no open objection;
 * before that it is refused, naming the last notice day. Answers the award
 * as settled: awarded, or withdrawn when the hours no longer reach it.
 */
export function awardNow(context: KeylessContext, actor: Actor, awardId: number): Outcome<StarAward> {
  return writeTransaction(context.db, () => {
    const found = awardInScope(context, actor, awardId);
    if (!found.ok) return found;
    const award = found.value;
    if (award.status !== 'on_notice') return failure(409, { code: award.status === 'proposed' ? 'stars.error.not_published' : `stars.error.already_${award.status}` });
    const today = shanghaiDateOf(nowOf(context));
    if (award.noticeEndDate && today <= award.noticeEndDate) return failure(409, { code: 'stars.error.notice_not_over', params: { endDate: award.noticeEndDate } });
    if (!isDue(context, award, today)) return failure(409, { code: 'stars.error.objection_open' });
    return success(settleDue(context, award, actor.userId, actor.ipAddress ?? null));
  });
}

/** The stars job: awards every star whose notice is over with no open objection. Answers how many. */
export function awardDueStars(context: KeylessContext): number {
  const today = shanghaiDateOf(nowOf(context));
  return writeTransaction(context.db, () => {
    const candidates = context.db.select().from(starAwards).where(and(eq(starAwards.status, 'on_notice'), sql`${starAwards.noticeEndDate} < ${today}`)).all();
    const due = candidates.filter((award) => isDue(context, award, today));
    return due.filter((award) => settleDue(context, award, null, null).status === 'awarded').length;
  });
}
