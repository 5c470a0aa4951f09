import { connectionOf } from '../../db/client.ts';
import { ownsMember, type Actor } from '../access/authorize.ts';
import type { DomainContext } from '../kernel/context.ts';
import { failure, success, type Outcome } from '../kernel/outcome.ts';
import { memberInScope } from '../people/members/access.ts';
import { canRequestForMembers } from './permissions.ts';

export interface RequestFormMember {
  /** Null when the member asks for herself. */
  memberId: number | null;
  name: string;
  volunteerNumber: string | null;
}

/**
 * Whom the request form is for: the signed-in member herself (no `memberId`),
 * or a member in a staff actor's scope. Anyone else gets the missing-member answer.
 */
export function requestFormFor(context: DomainContext, actor: Actor, memberId: number | null): Outcome<RequestFormMember> {
  const missing = failure(404, { code: 'records.error.member_not_found' });
  const id = memberId ?? actor.memberId ?? null;
  if (id === null) return failure(403, { code: 'records.error.not_a_member' });
  if (!ownsMember(actor, id) && !memberInScope(context, actor, id, canRequestForMembers).ok) return missing;
  const row = connectionOf(context.db).prepare('SELECT real_name AS name, volunteer_number AS volunteerNumber FROM members WHERE id = ?').get(id) as
    { name: string; volunteerNumber: string | null } | undefined;
  if (!row) return missing;
  return success({ memberId: ownsMember(actor, id) ? null : id, name: row.name, volunteerNumber: row.volunteerNumber });
}
