import { allowsRegion, type Actor } from '../access/authorize.ts';
import { accountOfMember, canCreateMemberSignIn, canManageAccounts } from '../auth/accounts.ts';
import { prepared, type PeopleContext } from './context.ts';

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
