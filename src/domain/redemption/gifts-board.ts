import { authorize, type Actor } from '../access/authorize.ts';
import type { RedemptionContext } from './context.ts';
import { counterMember } from './counter-identify.ts';
import type { CounterMember } from './counter-core.ts';
import { versionNumberOf } from './policy-versions.ts';
import { canAssistGifts, canRegisterRelatives, giftVisibleTo, relativesOf } from './gifts.ts';

/** The gifts page as a user sees it: themselves as a member, their relatives, what they may do, and the gift they just made. */
export interface GiftsBoard {
  self: CounterMember | null;
  relatives: ReturnType<typeof relativesOf>;
  isStaff: boolean;
  canRegisterRelatives: boolean;
  done: ReturnType<typeof giftVisibleTo>;
  /** The number of the policy version the shown gift was decided under. */
  donePolicyVersion: number | null;
}

/** `doneGiftId` is the gift the page confirms (?done=), shown only when the actor may see it. */
export function giftsBoard(context: RedemptionContext, actor: Actor, doneGiftId: number | null): GiftsBoard {
  const selfMemberId = actor.memberId ?? null;
  const self = selfMemberId === null ? null : counterMember(context, selfMemberId) ?? null;
  const done = doneGiftId === null ? null : giftVisibleTo(context.db, actor, selfMemberId, doneGiftId);
  return {
    self,
    relatives: self ? relativesOf(context.db, self.memberId) : [],
    isStaff: authorize(actor, canAssistGifts) !== null,
    canRegisterRelatives: authorize(actor, canRegisterRelatives) !== null,
    done,
    donePolicyVersion: done ? versionNumberOf(context.db, done.policyVersionId) : null,
  };
}
