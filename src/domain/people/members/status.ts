import { eq } from 'drizzle-orm';
import { memberStatusEvents, members } from '../../../db/schema/people.ts';
import { writeMemberInScope } from './access.ts';
import { checkReason, failure, roleRefusal, nowMs, success, type Actor, type Outcome, type PeopleContext } from './context.ts';
import { audit } from '../../audit/audit.ts';

/**
 * Suspends an active member (their card and PIN stop working at partner sites)
 * or reactivates a suspended one. A reason is required both ways; the change is
 * kept in member_status_events and in the audit log.
 */
export function changeMemberStatus(
  context: PeopleContext,
  actor: Actor,
  memberId: number,
  action: 'suspend' | 'reactivate',
  reason: string,
): Outcome<{ memberId: number; status: 'active' | 'suspended' }> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  const problem = checkReason(reason);
  if (problem) return failure(422, problem);
  const from = action === 'suspend' ? 'active' : 'suspended';
  const to = action === 'suspend' ? 'suspended' : 'active';
  const at = nowMs(context);
  return writeMemberInScope(context, actor, memberId, (txContext, member) => {
    if (member.status !== from) {
      return failure(409, {
        code: action === 'suspend' ? 'people.error.not_active' : 'people.error.not_suspended',
        params: { status: member.status },
      });
    }
    const trimmed = reason.trim();
    txContext.db.update(members).set({ status: to, statusReason: trimmed, updatedAtMs: at }).where(eq(members.id, memberId)).run();
    txContext.db.insert(memberStatusEvents).values({ memberId, fromStatus: from, toStatus: to, reason: trimmed, actorUserId: actor.userId, atMs: at }).run();
    audit(txContext, actor, `member.${action}`, 'member', memberId, member.villageCode, { reason: trimmed });
    return success({ memberId, status: to });
  });
}
