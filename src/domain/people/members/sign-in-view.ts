import { allowsRegion, type Actor } from '../../access/authorize.ts';
import { accountOfMember, canCreateMemberSignIn, canManageAccounts } from '../../auth/accounts.ts';
import { prepared, roleRefusal, success, type Outcome, type PeopleContext } from './context.ts';
import { getMember, type MemberDetail } from './query.ts';

/** What a member's page shows about the member's sign-in, and what the viewer may do about it. */
export interface MemberSignInView {
  account: { id: number; maskedPhone: string } | null;
  /** The account page is for offices in scope; coordinators see that the sign-in exists. */
  linkAccount: boolean;
  mayCreate: boolean;
}

/**
 * The sign-in part of a member's page. Call it only after `getMember` found
 * the member in the actor's scope: it does not refuse, it only tells what
 * the actor may do with the member's sign-in.
 */
export function memberSignInView(context: PeopleContext, actor: Actor, memberId: number): MemberSignInView {
  const account = accountOfMember(context.db, memberId);
  const row = prepared(context, 'SELECT r.path FROM members m JOIN regions r ON r.code = m.village_code WHERE m.id = ?').get(memberId) as { path: string } | undefined;
  const path = row?.path ?? null;
  return {
    account,
    linkAccount: account !== null && path !== null && allowsRegion(actor, canManageAccounts, path),
    mayCreate: account === null && path !== null && allowsRegion(actor, canCreateMemberSignIn, path),
  };
}

/** A member's page for staff: the member (in the actor's scope) and the sign-in part. */
export interface MemberPage {
  member: MemberDetail;
  signIn: MemberSignInView;
}

/**
 * The member's page as staff see it: the role first (the same 403 whether
 * the member exists or not), then the member in the actor's scope (outside
 * it: the refusal a missing member gets).
 */
export function memberPage(context: PeopleContext, actor: Actor, memberId: number): Outcome<MemberPage> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  const member = getMember(context, actor, memberId);
  if (!member.ok) return member;
  return success({ member: member.value, signIn: memberSignInView(context, actor, memberId) });
}
