import { ageOn, shanghaiDate } from '../../lib/idcard.ts';
import { maskName } from '../../lib/mask.ts';
import { nowOf, refuse, type RedemptionContext, type Refusal } from './context.ts';
import type { PolicyInForce } from './policy-versions.ts';
import type { Site } from './site-core.ts';

/**
 * Priority for empty-nest elders aged 80 or more when a site's stock is short
 * (policy rule priorityStockThreshold): a counted item whose free stock
 * (stock - reserved) is at or below the threshold goes only to such elders
 * (registered elders with the category empty_nest, as members or through a
 * voucher), and the counter page lists them for the clerk, names masked.
 */
const priorityAgeYears = 80;

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

/** Inside the hold's transaction: an item at or below the threshold refused to anyone without priority. */
export function priorityStockRefusal(context: RedemptionContext, inForce: PolicyInForce, item: { name: string; stock: number | null; reserved: number }, priority: () => boolean): Refusal | null {
  const threshold = inForce.rules.priorityStockThreshold;
  if (threshold === null || item.stock === null) return null;
  const left = item.stock - item.reserved;
  if (left > threshold || priority()) return null;
  return refuse(409, 'redemption.error.priority_stock', { item: item.name, left, version: inForce.versionNumber ?? 1 });
}

export interface PriorityBoard {
  threshold: number;
  items: { name: string; left: number }[];
  /** Empty-nest elders aged 80+ registered in the site's village, names masked. */
  elders: { name: string; age: number }[];
}

/** What the clerk sees on the counter page while the rule is on and some item is short; null otherwise. */
export function priorityBoard(context: RedemptionContext, inForce: PolicyInForce, site: Site): PriorityBoard | null {
  const threshold = inForce.rules.priorityStockThreshold;
  if (threshold === null) return null;
  const items = context.db.$client
    .prepare('SELECT name, stock - reserved AS left FROM site_items WHERE site_id = ? AND active = 1 AND stock IS NOT NULL AND stock - reserved <= ? ORDER BY name')
    .all(site.id, threshold) as { name: string; left: number }[];
  if (items.length === 0) return null;
  const today = shanghaiDate(nowOf(context));
  const elders = priorityEldersWhere(context, 'e.village_code = ?', site.villageCode).map((row) => ({ name: maskName(row.realName), age: ageOn(row.birthDate, today) }));
  return { threshold, items, elders };
}
