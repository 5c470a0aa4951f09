import { and, eq } from 'drizzle-orm';
import { regions } from '../../db/schema/core.ts';
import { members } from '../../db/schema/people.ts';
import { starAwards, type AwardingLevel } from '../../db/schema/stars.ts';
import { recordAudit } from '../audit/audit.ts';
import { shanghaiDateOf } from '../hours/time.ts';
import { nowOf, type KeylessContext } from '../kernel/context.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { codesOfPath } from '../regions/path.ts';
import { membersWithMinutes, serviceMinutesOf } from './hours.ts';
import { starPolicyOn } from './policy.ts';

const depthOfLevel: Record<AwardingLevel, number> = { province: 1, city: 2, county: 3 };

/** The code of the region at `level` above a village path ('/43/4331/433123/…', 'county' -> '433123'). */
export function awardingRegionOf(villagePath: string, level: AwardingLevel): string | undefined {
  return codesOfPath(villagePath)[depthOfLevel[level] - 1];
}

/**
 * Proposes every star whose threshold a volunteer's verified hours have
 * reached and that has no row yet (a withdrawn star stays withdrawn), to the
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
      if (context.db.select({ id: starAwards.id }).from(starAwards).where(and(eq(starAwards.memberId, memberId), eq(starAwards.star, level.star))).get()) continue;
      const awardingRegionCode = awardingRegionOf(member.path, level.awardingLevel);
      if (!awardingRegionCode) continue;
      const award = context.db.insert(starAwards).values({
        memberId, star: level.star, status: 'proposed', policyVersionId: policy.versionId, serviceMinutes: minutes,
        villageCode: member.villageCode, awardingRegionCode, proposedAtMs: at,
      }).returning({ id: starAwards.id }).get();
      recordAudit(context.db, { action: 'stars.propose', objectType: 'star_award', objectId: award.id, regionCode: awardingRegionCode, detail: { memberId, star: level.star, serviceMinutes: minutes } }, at);
      proposed.push(award.id);
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
  const lowest = Math.min(...policy.levels.map((level) => level.minHours));
  let proposed = 0;
  for (const { memberId, minutes } of membersWithMinutes(context.db, lowest * 60)) proposed += proposeDueStars(context, memberId, minutes).length;
  return proposed;
}
