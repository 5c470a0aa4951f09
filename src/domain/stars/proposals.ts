import { and, eq } from 'drizzle-orm';
import { regions } from '../../db/schema/core.ts';
import { members } from '../../db/schema/people.ts';
import { starAwards, type AwardingLevel } from '../../db/schema/stars.ts';
import { recordAudit } from '../audit/audit.ts';
import { shanghaiDateOf } from '../hours/time.ts';
import { nowOf, type KeylessContext } from '../kernel/context.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { codesOfPath } from '../regions/path.ts';
import { membersDueStars, serviceMinutesOf } from './hours.ts';
import { starPolicyOn } from './policy.ts';

const depthOfLevel: Record<AwardingLevel, number> = { province: 1, city: 2, county: 3 };

/** The code of the region at `level` above a village path ('/43/4331/433123/…', 'county' -> '433123'). */
export function awardingRegionOf(villagePath: string, level: AwardingLevel): string | undefined {
  return codesOfPath(villagePath)[depthOfLevel[level] - 1];
}

/** What a star proposed again starts without: the earlier notice and withdrawal (the audit log keeps them). */
const reopened = {
  noticeWorkingDays: null, noticeStartDate: null, noticeEndDate: null, publishedByUserId: null, publishedAtMs: null,
  awardedAtMs: null, withdrawnByUserId: null, withdrawnAtMs: null,
};

/**
 * Proposes every star whose threshold a volunteer's verified hours have
 * reached and that has no row yet, or was withdrawn for want of hours (not on an
 * upheld objection), to the
 * office of the awarding region of the volunteer's village. Runs in the
 * caller's write transaction when there is one (approval calls it), else in
 * its own. Answers the new award ids.
 */
export function proposeDueStars(context: KeylessContext, memberId: number, knownMinutes?: number): number[] {
  return writeTransaction(context.db, () => {
    const member = context.db.select({ status: members.status, villageCode: members.villageCode, path: regions.path })
      .from(members).innerJoin(regions, eq(regions.code, members.villageCode)).where(eq(members.id, memberId)).get();
    if (!member || member.status !== 'active') return [];
    const at = nowOf(context);
    const policy = starPolicyOn(context, shanghaiDateOf(at));
    const minutes = knownMinutes ?? serviceMinutesOf(context.db, memberId);
    const proposed: number[] = [];
    for (const level of policy.levels) {
      if (minutes < level.minHours * 60) continue;
      const existing = context.db.select({ id: starAwards.id, status: starAwards.status, withdrawnReason: starAwards.withdrawnReason })
        .from(starAwards).where(and(eq(starAwards.memberId, memberId), eq(starAwards.star, level.star))).get();
      // A star withdrawn because reversed records left it short of the hours is proposed again once she has them;
      // one withdrawn on an upheld objection (it has the office's reason) stays withdrawn.
      if (existing && !(existing.status === 'withdrawn' && existing.withdrawnReason === null)) continue;
      const awardingRegionCode = awardingRegionOf(member.path, level.awardingLevel);
      if (!awardingRegionCode) continue;
      const fields = { status: 'proposed' as const, policyVersionId: policy.versionId, serviceMinutes: minutes, villageCode: member.villageCode, awardingRegionCode, proposedAtMs: at };
      const awardId = existing
        ? context.db.update(starAwards).set({ ...fields, ...reopened }).where(eq(starAwards.id, existing.id)).returning({ id: starAwards.id }).get().id
        : context.db.insert(starAwards).values({ memberId, star: level.star, ...fields }).returning({ id: starAwards.id }).get().id;
      const detail = { memberId, star: level.star, serviceMinutes: minutes, ...(existing ? { again: true } : {}) };
      recordAudit(context.db, { action: 'stars.propose', objectType: 'star_award', objectId: awardId, regionCode: awardingRegionCode, detail }, at);
      proposed.push(awardId);
    }
    return proposed;
  });
}

/**
 * The stars job's scan: proposes what approvals did not (records approved
 * on the spot by an elder's card, completed service requests, a new policy
 * with lower thresholds). Answers how many stars it proposed.
 */
export function proposeAllDueStars(context: KeylessContext): number {
  const policy = starPolicyOn(context, shanghaiDateOf(nowOf(context)));
  let proposed = 0;
  for (const { memberId, minutes } of membersDueStars(context.db, policy.levels)) proposed += proposeDueStars(context, memberId, minutes).length;
  return proposed;
}
