import { ageOn, shanghaiDate } from '../../lib/idcard.ts';
import { maskName } from '../../lib/mask.ts';
import { nowOf, refuse, type RedemptionContext, type Refusal } from './context.ts';
import type { PolicyInForce } from './policy-versions.ts';
import type { Site } from './site-core.ts';
import { priorityAgeYears, reservationFor, reservationLists, type ReservationList } from './reservations.ts';

/**
 * Priority for empty-nest elders aged 80 or more when a site's stock is short
 * (policy rule priorityStockThreshold): a counted item whose free stock
 * (stock - reserved) is at or below the threshold goes only to such elders
 * (registered elders with the category empty_nest, as members or through a
 * voucher), and the counter page lists them for the clerk, names masked.
 */

interface ElderRow { id: number; realName: string; birthDate: string }

function priorityEldersWhere(context: RedemptionContext, where: string, parameter: number | string): ElderRow[] {
  const today = shanghaiDate(nowOf(context));
  const rows = context.db.$client
    .prepare(`SELECT e.id, e.real_name AS realName, e.birth_date AS birthDate FROM elders e
               WHERE e.status = 'active' AND ${where}
                 AND EXISTS (SELECT 1 FROM elder_categories c WHERE c.elder_id = e.id AND c.category = 'empty_nest') ORDER BY e.birth_date`)
    .all(parameter) as ElderRow[];
  return rows.filter((row) => ageOn(row.birthDate, today) >= priorityAgeYears);
}

/** Whether the payer of a basket (a member, or a voucher elder) is an empty-nest elder aged 80+. */
export function isPriorityPayer(context: RedemptionContext, memberId: number | null, elderId: number | null): boolean {
  if (elderId !== null && priorityEldersWhere(context, 'e.id = ?', elderId).length > 0) return true;
  return memberId !== null && priorityEldersWhere(context, 'e.member_id = ?', memberId).length > 0;
}

/**
 * Inside the hold's transaction, for an item at or below the threshold: when
 * elders wait on its reservation list, only the first ones in order may take
 * it (reservations.ts; the reservation to hold is returned); when nobody
 * waits, only empty-nest elders aged 80+. Above the threshold: no claim.
 */
export function shortStockClaim(
  context: RedemptionContext, inForce: PolicyInForce, item: { id: number; name: string; stock: number | null; reserved: number },
  quantity: number, elderId: number | null, priority: () => boolean,
): { reservationId: number | null } | Refusal {
  const threshold = inForce.rules.priorityStockThreshold;
  if (threshold === null || item.stock === null) return { reservationId: null };
  const left = item.stock - item.reserved;
  if (left > threshold) return { reservationId: null };
  const version = inForce.versionNumber ?? 1;
  const reserved = reservationFor(context, item, left, elderId, quantity, version);
  if (reserved !== null) return reserved;
  if (priority()) return { reservationId: null };
  return refuse(409, 'redemption.error.priority_stock', { item: item.name, left, version });
}

export interface PriorityBoard {
  threshold: number;
  /** Counted items at or below the threshold now. */
  items: { name: string; left: number }[];
  /** Empty-nest elders aged 80+ registered in the site's village, names masked (ids for the reservation form). */
  elders: { id: number; name: string; age: number }[];
  /** Counted items an elder may be put on the reservation list of. */
  countedItems: { id: number; name: string }[];
  /** The open reservation lists, in order. */
  lists: ReservationList[];
}

/** What the clerk sees on the counter page while the rule is on (short items, reservation lists, eligible elders); null when it is off. */
export function priorityBoard(context: RedemptionContext, inForce: PolicyInForce, site: Site): PriorityBoard | null {
  const threshold = inForce.rules.priorityStockThreshold;
  if (threshold === null) return null;
  const counted = context.db.$client
    .prepare('SELECT id, name, stock - reserved AS left FROM site_items WHERE site_id = ? AND active = 1 AND stock IS NOT NULL ORDER BY name')
    .all(site.id) as { id: number; name: string; left: number }[];
  const items = counted.filter((item) => item.left <= threshold).map((item) => ({ name: item.name, left: item.left }));
  const today = shanghaiDate(nowOf(context));
  const elders = priorityEldersWhere(context, 'e.village_code = ?', site.villageCode).map((row) => ({ id: row.id, name: maskName(row.realName), age: ageOn(row.birthDate, today) }));
  return { threshold, items, elders, countedItems: counted.map((item) => ({ id: item.id, name: item.name })), lists: reservationLists(context, site.id) };
}
