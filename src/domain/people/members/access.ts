import { eq } from 'drizzle-orm';
import { members } from '../../../db/schema/people.ts';
import { ownsMember, regionScopes, type Permission } from '../../access/authorize.ts';
import { failure, objectVillageInScope, villageInScope, type Actor, type Outcome, type PeopleContext, type Refusal, type RegionRow } from './context.ts';
import { canManageMembers } from './permissions.ts';
import { writeTransaction } from '../../kernel/transaction.ts';

export type MemberRow = typeof members.$inferSelect;

/** Loads a member whose village `actor` holds `permission` over, or the refusal a missing member gets. */
export function memberInScope(
  context: PeopleContext,
  actor: Actor,
  memberId: number,
  permission: Permission = canManageMembers,
): { ok: true; member: MemberRow; village: RegionRow } | Refusal {
  const member = context.db.select().from(members).where(eq(members.id, memberId)).get();
  if (!member) return failure(404, { code: 'people.error.member_not_found' });
  // Someone with no staff role at all learns nothing, not even the village of the member.
  if (regionScopes(actor, permission).length === 0) return failure(404, { code: 'people.error.member_not_found' });
  const scope = objectVillageInScope(context, actor, member.villageCode, 'people.error.member_not_found', permission);
  if (!scope.ok) return scope;
  return { ok: true, member, village: scope.village };
}

/**
 * A write on one member: in one IMMEDIATE transaction, the member is loaded in
 * the actor's scope (the refusal a missing member gets otherwise), then `work`
 * runs with a context on the transaction (no `await` inside).
 */
export function writeMemberInScope<T>(
  context: PeopleContext,
  actor: Actor,
  memberId: number,
  work: (txContext: PeopleContext, member: MemberRow) => Outcome<T>,
): Outcome<T> {
  return writeTransaction(context.db, (tx) => {
      const txContext = { ...context, db: tx as unknown as PeopleContext['db'] };
      const found = memberInScope(txContext, actor, memberId);
      return found.ok ? work(txContext, found.member) : found;
    });
}

/** The member themself (signed in with a member login) or staff in scope. */
export function memberSelfOrStaff(
  context: PeopleContext,
  actor: Actor,
  memberId: number,
): { ok: true; member: MemberRow; village: RegionRow; self: boolean } | Refusal {
  if (ownsMember(actor, memberId)) {
    const member = context.db.select().from(members).where(eq(members.id, memberId)).get();
    if (!member) return failure(404, { code: 'people.error.member_not_found' });
    const scope = villageInScope(context, null, member.villageCode);
    if (!scope.ok) return failure(404, { code: 'people.error.member_not_found' });
    return { ok: true, member, village: scope.village, self: true };
  }
  const staff = memberInScope(context, actor, memberId);
  return staff.ok ? { ...staff, self: false } : staff;
}
