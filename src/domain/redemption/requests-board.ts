import { authorize, regionScopes, type Actor } from '../access/authorize.ts';
import { memberFacts, type MemberFacts, type RedemptionContext } from './context.ts';
import { canRequestForElders, requestsIn, type RequestListItem } from './requests.ts';

/** The service requests page as a user sees it: who they are as a member, the requests of their area, and whether they act as staff. */
export interface RequestsBoard {
  memberId: number | null;
  self: MemberFacts | null;
  requests: RequestListItem[];
  isStaff: boolean;
}

/** The area a user sees: a member's home county, and staff regions. */
function areaPaths(actor: Actor, self: MemberFacts | null): string[] {
  const paths = regionScopes(actor, canRequestForElders);
  if (self) paths.push(self.villagePath.split('/').slice(0, 4).join('/') + '/');
  return [...new Set(paths)];
}

export function requestsBoard(context: RedemptionContext, actor: Actor): RequestsBoard {
  const memberId = actor.memberId ?? null;
  const self = memberId === null ? null : memberFacts(context.db, memberId) ?? null;
  const seen = new Set<number>();
  const requests = areaPaths(actor, self).flatMap((path) => requestsIn(context, path)).filter((item) => !seen.has(item.id) && seen.add(item.id));
  return { memberId, self, requests, isStaff: authorize(actor, canRequestForElders) !== null };
}
