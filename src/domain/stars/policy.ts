import { asc, desc, eq, lte } from 'drizzle-orm';
import { awardingLevels, starPolicyLevels, starPolicyVersions, type AwardingLevel } from '../../db/schema/stars.ts';
import type { Actor } from '../access/authorize.ts';
import { recordAudit } from '../audit/audit.ts';
import { isTopOffice } from '../hours/standard.ts';
import { isCalendarDate, shanghaiDateOf } from '../hours/time.ts';
import { nowOf, type KeylessContext } from '../kernel/context.ts';
import { failure, success, type Outcome, type Problem } from '../kernel/outcome.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { canReadStarPolicy } from './permissions.ts';
import { roleRefusal } from '../hours/context.ts';

export interface StarLevel {
  star: number;
  minHours: number;
  awardingLevel: AwardingLevel;
}

/** A policy as the rules read it: the version it came from (null: the built-in default). */
export interface StarPolicy {
  versionId: number | null;
  effectiveDate: string | null;
  noticeWorkingDays: number;
  levels: StarLevel[];
}

/** The provinces' common rule: 100/300/600/1000/1500 hours; 1-2 stars by the county, 3-4 by the city, 5 by the province; 5 working days of notice. */
export const defaultStarPolicy: StarPolicy = {
  versionId: null,
  effectiveDate: null,
  noticeWorkingDays: 5,
  levels: [
    { star: 1, minHours: 100, awardingLevel: 'county' },
    { star: 2, minHours: 300, awardingLevel: 'county' },
    { star: 3, minHours: 600, awardingLevel: 'city' },
    { star: 4, minHours: 1000, awardingLevel: 'city' },
    { star: 5, minHours: 1500, awardingLevel: 'province' },
  ],
};

function levelsOf(context: KeylessContext, versionId: number): StarLevel[] {
  return context.db.select({ star: starPolicyLevels.star, minHours: starPolicyLevels.minHours, awardingLevel: starPolicyLevels.awardingLevel })
    .from(starPolicyLevels).where(eq(starPolicyLevels.versionId, versionId)).orderBy(asc(starPolicyLevels.star)).all();
}

/** The policy in force on a Shanghai date: the latest version effective on or before it, else the default. */
export function starPolicyOn(context: KeylessContext, date: string): StarPolicy {
  const version = context.db.select().from(starPolicyVersions)
    .where(lte(starPolicyVersions.effectiveDate, date)).orderBy(desc(starPolicyVersions.effectiveDate)).limit(1).get();
  if (!version) return defaultStarPolicy;
  return { versionId: version.id, effectiveDate: version.effectiveDate, noticeWorkingDays: version.noticeWorkingDays, levels: levelsOf(context, version.id) };
}

/** Every published version, newest effective date first, with its levels. */
export function starPolicyVersionsList(context: KeylessContext): StarPolicy[] {
  const versions = context.db.select().from(starPolicyVersions).orderBy(desc(starPolicyVersions.effectiveDate)).all();
  return versions.map((version) => ({ versionId: version.id, effectiveDate: version.effectiveDate, noticeWorkingDays: version.noticeWorkingDays, levels: levelsOf(context, version.id) }));
}

export interface StarPolicyPage {
  today: string;
  inForce: StarPolicy;
  versions: StarPolicy[];
  canPublish: boolean;
}

/** What the policy page shows: the policy in force today, the versions, and whether this actor may publish. */
export function starPolicyPage(context: KeylessContext, actor: Actor): Outcome<StarPolicyPage> {
  const refused = roleRefusal(actor, canReadStarPolicy);
  if (refused) return refused;
  const today = shanghaiDateOf(nowOf(context));
  return success({ today, inForce: starPolicyOn(context, today), versions: starPolicyVersionsList(context), canPublish: isTopOffice(context, actor) });
}

export interface StarPolicyInput {
  effectiveDate: string;
  noticeWorkingDays: number;
  /** Hours per star, 1 to 5 in order. */
  minHours: readonly number[];
  /** Awarding level per star, 1 to 5 in order. */
  awardingLevels: readonly string[];
  note?: string;
}

function checkPolicy(context: KeylessContext, input: StarPolicyInput, problems: Problem[]): StarLevel[] {
  const today = shanghaiDateOf(nowOf(context));
  if (!isCalendarDate(input.effectiveDate)) problems.push({ code: 'stars.error.date_invalid', field: 'effectiveDate' });
  else if (input.effectiveDate <= today) problems.push({ code: 'stars.error.date_not_future', field: 'effectiveDate', params: { today } });
  else if (context.db.select().from(starPolicyVersions).where(eq(starPolicyVersions.effectiveDate, input.effectiveDate)).get()) {
    problems.push({ code: 'stars.error.date_taken', field: 'effectiveDate', params: { date: input.effectiveDate } });
  }
  if (!Number.isInteger(input.noticeWorkingDays) || input.noticeWorkingDays < 1 || input.noticeWorkingDays > 30) {
    problems.push({ code: 'stars.error.notice_days', field: 'noticeWorkingDays', params: { min: 1, max: 30 } });
  }
  const levels = [1, 2, 3, 4, 5].map((star, index) => ({
    star, minHours: input.minHours[index] ?? 0, awardingLevel: (input.awardingLevels[index] ?? '') as AwardingLevel,
  }));
  for (const level of levels) {
    const previous = levels[level.star - 2];
    if (!Number.isInteger(level.minHours) || level.minHours < 1 || level.minHours > 100000 || (previous && level.minHours <= previous.minHours)) {
      problems.push({ code: 'stars.error.hours_order', field: `minHours${level.star}`, params: { star: level.star } });
    }
    if (!(awardingLevels as readonly string[]).includes(level.awardingLevel)) problems.push({ code: 'stars.error.level_invalid', field: `awardingLevel${level.star}`, params: { star: level.star } });
  }
  return levels;
}

/**
 * Publishes a new version of the star policy. Only the top office may, and
 * only for a future date: a star proposed under the version in force keeps
 * its threshold, and the past is never re-judged.
 */
export function publishStarPolicy(context: KeylessContext, actor: Actor, input: StarPolicyInput): Outcome<{ versionId: number }> {
  if (!isTopOffice(context, actor)) return failure(403, { code: 'stars.error.top_office_only' });
  const at = nowOf(context);
  const note = [...(input.note ?? '').trim()].slice(0, 200).join('') || null; // the form allows 200 characters
  // The checks (the date still free among them) and the insert in one write transaction: two parallel
  // publishes for one date cannot both pass the check and meet at the unique index (a 500).
  return writeTransaction(context.db, (tx): Outcome<{ versionId: number }> => {
    const problems: Problem[] = [];
    const levels = checkPolicy(context, input, problems);
    if (problems.length > 0) return failure(422, ...problems);
    const version = tx.insert(starPolicyVersions)
      .values({ effectiveDate: input.effectiveDate, noticeWorkingDays: input.noticeWorkingDays, note, publishedByUserId: actor.userId, publishedAtMs: at })
      .returning({ id: starPolicyVersions.id }).get();
    tx.insert(starPolicyLevels).values(levels.map((level) => ({ ...level, versionId: version.id }))).run();
    recordAudit(tx, {
      action: 'stars.policy_publish', actorUserId: actor.userId, objectType: 'star_policy_version', objectId: version.id,
      ipAddress: actor.ipAddress ?? null, detail: { effectiveDate: input.effectiveDate, noticeWorkingDays: input.noticeWorkingDays, minHours: levels.map((level) => level.minHours) },
    }, at);
    return success({ versionId: version.id });
  });
}
