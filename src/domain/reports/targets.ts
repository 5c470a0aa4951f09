import type { Sqlite } from '../../db/client.ts';
import { recordAudit } from '../audit/audit.ts';
import { present } from '../../lib/assert.ts';
import { writeTransaction } from '../kernel/transaction.ts';

/**
 * The plan targets (Xiangxi 2023-2025 plan, Shaoyang 2025 plan) as data in
 * report_targets, edited by the top office. Rates are per mille (1000 = 100%).
 * The defaults below are only what a new network starts with.
 */
export const targetDefinitions = [
  { key: 'visit_rate_permille', unit: 'permille', defaultValue: 1000 },
  { key: 'rural_disabled_help_rate_permille', unit: 'permille', defaultValue: 1000 },
  { key: 'village_point_share_permille', unit: 'permille', defaultValue: 500 },
  { key: 'teams_per_sponsor_per_year', unit: 'count', defaultValue: 1 },
  { key: 'activities_per_sponsor_per_year', unit: 'count', defaultValue: 1 },
  // Issue 20: a county whose members redeem less than this share of what they earned (12 months) is flagged 易存难兑.
  { key: 'redemption_rate_permille', unit: 'permille', defaultValue: 200 },
] as const;

export type TargetKey = (typeof targetDefinitions)[number]['key'];
export type Targets = Record<TargetKey, number>;

export function isTargetKey(value: string): value is TargetKey {
  return targetDefinitions.some((definition) => definition.key === value);
}

export function readTargets(sqlite: Sqlite): Targets {
  const rows = sqlite.prepare('SELECT key, value FROM report_targets').all() as { key: string; value: number }[];
  const stored = new Map(rows.map((row) => [row.key, row.value]));
  const targets = {} as Targets;
  for (const definition of targetDefinitions) targets[definition.key] = stored.get(definition.key) ?? definition.defaultValue;
  return targets;
}

export type TargetProblem = 'reports.targets.error.unknown' | 'reports.targets.error.range';

/** Validates and stores targets; returns the problems per key (nothing written when any). */
export function updateTargets(sqlite: Sqlite, input: Record<string, string>, userId: number, nowMs: number): { ok: true } | { ok: false; errors: Record<string, TargetProblem> } {
  const errors: Record<string, TargetProblem> = {};
  const values: [TargetKey, number][] = [];
  for (const [key, raw] of Object.entries(input)) {
    if (!isTargetKey(key)) { errors[key] = 'reports.targets.error.unknown'; continue; }
    const definition = present(targetDefinitions.find((entry) => entry.key === key), 'every target key has a definition');
    const text = raw.trim();
    const value = definition.unit === 'permille' ? Math.round(Number(text) * 10) : Number(text);
    const valid = /^\d+(\.\d)?$/.test(text) && Number.isInteger(value) && value >= 0 && (definition.unit === 'permille' ? value <= 1000 : value <= 100);
    if (!valid) errors[key] = 'reports.targets.error.range';
    else values.push([key, value]);
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  writeTransaction(sqlite, () => {
    const upsert = sqlite.prepare(`INSERT INTO report_targets (key, value, updated_at_ms, updated_by_user_id) VALUES (?, ?, ?, ?)
      ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms, updated_by_user_id = excluded.updated_by_user_id`);
    for (const [key, value] of values) upsert.run(key, value, nowMs, userId);
    recordAudit(sqlite, { action: 'reports.targets.update', actorUserId: userId, objectType: 'report_targets', detail: Object.fromEntries(values) }, nowMs);
  });
  return { ok: true };
}

/** Per-mille rate, rounded down; null when there is nothing to count (no denominator). */
export function ratePermilleOf(numerator: number, denominator: number): number | null {
  if (denominator <= 0) return null;
  return Math.floor((numerator * 1000) / denominator);
}
