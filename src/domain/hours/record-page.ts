import { eq } from 'drizzle-orm';
import { regions, users } from '../../db/schema/core.ts';
import { serviceTypes } from '../../db/schema/hours.ts';
import { elders, members } from '../../db/schema/people.ts';
import { authorize, ownsMember, type Actor } from '../access/authorize.ts';
import type { KeylessContext } from './context.ts';
import { canVerifyHours } from './permissions.ts';
import type { ServiceRecord } from './records.ts';
import { capSplitFor, creditSplitOf, type CreditSplit } from './review.ts';
import { ownReasonOf, type OwnReason } from './queue.ts';
import { assert } from '../../lib/assert.ts';

/** The region path of the village a record was served in ('' if the village is unknown). */
export function recordVillagePath(context: KeylessContext, record: ServiceRecord): string {
  return context.db.select({ path: regions.path }).from(regions).where(eq(regions.code, record.villageCode)).get()?.path ?? '';
}

/** A staff user's display name, or null when there is none. */
export function userDisplayName(context: KeylessContext, userId: number | null): string | null {
  return userId ? context.db.select({ name: users.displayName }).from(users).where(eq(users.id, userId)).get()?.name ?? null : null;
}

/** One service record's page: the names around it and what the viewer may do with it. */
export interface RecordPage {
  volunteerName: string;
  type: { typeNameZh: string; typeNameEn: string | null };
  elderName: string | null;
  village: { villageNameZh: string; villageNameEn: string | null };
  enteredByName: string | null;
  reviewedByName: string | null;
  /** Staff in scope who did not enter it and are not its volunteer may approve, reject or reverse it. */
  canDecide: boolean;
  own: boolean;
  ownReason: OwnReason | null;
  capWarning: boolean;
  diverted: CreditSplit | null;
}

/**
 * The record as `actor` may see it: its volunteer, or staff who verify hours
 * in its village. Anyone else gets null, which the page answers exactly like
 * a missing record.
 */
export function recordPage(context: KeylessContext, actor: Actor, record: ServiceRecord): RecordPage | null {
  const isVolunteer = ownsMember(actor, record.volunteerMemberId);
  const staff = authorize(actor, canVerifyHours, { regionPath: recordVillagePath(context, record) }) !== null;
  if (!isVolunteer && !staff) return null;
  const ownReason = ownReasonOf(record, actor.userId, actor.memberId ?? null);
  const own = ownReason !== null;
  const volunteer = context.db.select({ realName: members.realName }).from(members).where(eq(members.id, record.volunteerMemberId)).get();
  const type = context.db.select({ typeNameZh: serviceTypes.nameZh, typeNameEn: serviceTypes.nameEn }).from(serviceTypes).where(eq(serviceTypes.id, record.serviceTypeId)).get();
  assert(type !== undefined, "a record's service type exists (foreign key)");
  const elder = record.elderId ? context.db.select({ realName: elders.realName }).from(elders).where(eq(elders.id, record.elderId)).get() : undefined;
  const village = context.db.select({ villageNameZh: regions.nameZh, villageNameEn: regions.nameEn }).from(regions).where(eq(regions.code, record.villageCode)).get();
  assert(village !== undefined, "a record's village exists (foreign key)");
  const capCheck = record.status === 'pending' ? capSplitFor(context, record.volunteerMemberId, record.creditMinutes) : undefined;
  const split = record.status === 'approved' || record.status === 'reversed' ? creditSplitOf(context, record.id) : undefined;
  return {
    volunteerName: volunteer?.realName ?? '', type, elderName: elder?.realName ?? null, village,
    enteredByName: userDisplayName(context, record.enteredByUserId), reviewedByName: userDisplayName(context, record.reviewedByUserId),
    canDecide: staff && !own, own: staff && own, ownReason,
    capWarning: capCheck !== undefined && !capCheck.ok, diverted: split && split.diverted > 0 ? split : null,
  };
}
