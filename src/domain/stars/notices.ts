import { aliasedTable, and, asc, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { regions } from '../../db/schema/core.ts';
import { members } from '../../db/schema/people.ts';
import { starAwards } from '../../db/schema/stars.ts';
import { maskName } from '../../lib/mask.ts';

export interface PublicNotice {
  id: number;
  maskedName: string;
  villageName: string;
  villageNameEn: string | null;
  star: number;
  serviceMinutes: number;
  noticeWorkingDays: number;
  noticeStartDate: string;
  noticeEndDate: string;
  awardingRegionName: string;
  awardingRegionNameEn: string | null;
}

const village = aliasedTable(regions, 'village');
const awarding = aliasedTable(regions, 'awarding');

/** Notices a page of /notices shows; the query asks one more to know whether a next page exists. */
export const noticesPerPage = 50;

/**
 * The notices in progress (公示), for anyone: the volunteer's name masked
 * (王*英), village, star and verified hours, the period and the awarding
 * office. Nothing else of the volunteer leaves the database here. Paged,
 * `noticesPerPage` a page, so every notice in progress can be reached (a
 * public notice nobody can find would not be one).
 */
export function publicNotices(db: Db, page = 1): PublicNotice[] {
  const rows = db.select({
    id: starAwards.id, realName: members.realName, villageName: village.nameZh, villageNameEn: village.nameEn, star: starAwards.star,
    serviceMinutes: starAwards.serviceMinutes, noticeWorkingDays: starAwards.noticeWorkingDays, noticeStartDate: starAwards.noticeStartDate, noticeEndDate: starAwards.noticeEndDate,
    awardingRegionName: awarding.nameZh, awardingRegionNameEn: awarding.nameEn,
  }).from(starAwards)
    .innerJoin(members, eq(members.id, starAwards.memberId))
    .innerJoin(village, eq(village.code, starAwards.villageCode))
    .innerJoin(awarding, eq(awarding.code, starAwards.awardingRegionCode))
    .where(eq(starAwards.status, 'on_notice'))
    .orderBy(asc(starAwards.noticeEndDate), asc(starAwards.id)).limit(noticesPerPage + 1).offset((Math.max(1, page) - 1) * noticesPerPage).all();
  return rows.map(({ realName, noticeWorkingDays, noticeStartDate, noticeEndDate, ...rest }) => ({
    ...rest, maskedName: maskName(realName), noticeWorkingDays: noticeWorkingDays ?? 0, noticeStartDate: noticeStartDate ?? '', noticeEndDate: noticeEndDate ?? '',
  }));
}

/** The highest star a member has been awarded, or 0. */
export function awardedStarOf(db: Db, memberId: number): number {
  const row = db.select({ star: starAwards.star }).from(starAwards)
    .where(and(eq(starAwards.memberId, memberId), eq(starAwards.status, 'awarded'))).orderBy(desc(starAwards.star)).limit(1).get();
  return row?.star ?? 0;
}
