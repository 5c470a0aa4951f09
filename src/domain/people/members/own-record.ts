import type { Actor } from '../../access/authorize.ts';
import { teamsToJoin, type JoinableTeam } from './choices.ts';
import { failure, success, type Outcome, type PeopleContext } from './context.ts';
import { awardedStarOf } from '../../stars/notices.ts';
import { credentialsSetByStaff } from './pin.ts';
import { getMember, type MemberDetail } from './query.ts';

/** A member's own page: their record, the teams of their area they may ask to join, and whether staff chose their sign-in's password. */
export interface OwnRecordPage {
  member: MemberDetail;
  teams: JoinableTeam[];
  signInSetByStaff: boolean;
  /** The highest star awarded (0: none). */
  star: number;
}

/** The signed-in member's own page; a sign-in without a member record is answered like a missing member. */
export function ownRecordPage(context: PeopleContext, actor: Actor): Outcome<OwnRecordPage> {
  const memberId = actor.memberId ?? null;
  if (!memberId) return failure(404, { code: 'people.error.member_not_found' });
  const member = getMember(context, actor, memberId);
  if (!member.ok) return member;
  return success({ member: member.value, teams: teamsToJoin(context, memberId), signInSetByStaff: credentialsSetByStaff(context, actor.userId) !== null, star: awardedStarOf(context.db, memberId) });
}
