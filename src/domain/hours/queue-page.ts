import { authorize } from '../access/authorize.ts';
import { ok, roleRefusal, type Actor, type HoursOutcome, type KeylessContext } from './context.ts';
import { canLogForMembers, canVerifyHours } from './permissions.ts';
import { queueFilterOptions, queueTotal, recordLabels, verificationQueue, type QueueFilter, type QueueItem, type QueueOrder, type RecordLabel } from './queue.ts';

/** What the verification queue page shows: a page of pending records in scope, the filters' choices, and labels of skipped records. */
export interface QueuePage {
  items: QueueItem[];
  total: number;
  page: number;
  lastPage: number;
  villages: ReturnType<typeof queueFilterOptions>['villages'];
  volunteers: ReturnType<typeof queueFilterOptions>['volunteers'];
  labels: RecordLabel[];
  canLogForMembers: boolean;
}

/**
 * The queue page for a reviewer: the 403 page for someone without the role,
 * otherwise page `requested.page` (clamped to the last) of `pageSize` records.
 */
export function queuePageFor(
  context: KeylessContext,
  actor: Actor,
  requested: { filter: Omit<QueueFilter, 'order' | 'limit' | 'offset'>; order: QueueOrder; page: number; pageSize: number; skippedIds: readonly number[] },
): HoursOutcome<QueuePage> {
  const refused = roleRefusal(actor, canVerifyHours);
  if (refused) return refused;
  const { filter, order, pageSize } = requested;
  const total = queueTotal(context, actor, filter);
  const lastPage = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(requested.page, lastPage);
  const items = verificationQueue(context, actor, { ...filter, order, limit: pageSize, offset: (page - 1) * pageSize });
  const { villages, volunteers } = queueFilterOptions(context, actor);
  const labels = recordLabels(context, actor, requested.skippedIds);
  return ok({ items, total, page, lastPage, villages, volunteers, labels, canLogForMembers: authorize(actor, canLogForMembers) !== null });
}
