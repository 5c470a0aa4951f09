import type { Sqlite } from '../../db/client.ts';
import { codesOfPath } from '../regions/path.ts';

export interface RegionNode {
  code: string;
  parentCode: string | null;
  level: string;
  nameZh: string;
  nameEn: string | null;
  rural: boolean | null;
  path: string;
  /** Codes from the root down to this region, itself included. */
  lineage: string[];
}

interface Cached {
  signature: string;
  byCode: Map<string, RegionNode>;
}

const caches = new WeakMap<Sqlite, Cached>();

/**
 * All regions with their lineage, cached per connection and reloaded when the
 * tree changes (regions are only ever added, so count and newest time tell).
 */
export function regionTree(sqlite: Sqlite): Map<string, RegionNode> {
  const signatureRow = sqlite.prepare('SELECT count(*) AS n, max(created_at_ms) AS latest FROM regions').get() as { n: number; latest: number | null };
  const signature = `${signatureRow.n}:${signatureRow.latest ?? 0}`;
  const cached = caches.get(sqlite);
  if (cached && cached.signature === signature) return cached.byCode;
  const rows = sqlite
    .prepare('SELECT code, parent_code AS parentCode, level, name_zh AS nameZh, name_en AS nameEn, rural, path FROM regions')
    .all() as (Omit<RegionNode, 'lineage' | 'rural'> & { rural: number | null })[];
  const byCode = new Map<string, RegionNode>();
  for (const row of rows) {
    byCode.set(row.code, { ...row, rural: row.rural === null ? null : row.rural === 1, lineage: codesOfPath(row.path) });
  }
  caches.set(sqlite, { signature, byCode });
  return byCode;
}

/** The region and its ancestors; an unknown code stands alone (figures still add up at that code). */
export function lineageOf(tree: Map<string, RegionNode>, code: string): string[] {
  return tree.get(code)?.lineage ?? [code];
}

export function childrenIn(tree: Map<string, RegionNode>, code: string): RegionNode[] {
  const children: RegionNode[] = [];
  for (const node of tree.values()) if (node.parentCode === code) children.push(node);
  return children.sort((a, b) => a.code.localeCompare(b.code));
}

export function regionDisplayName(node: Pick<RegionNode, 'nameZh' | 'nameEn'>, locale: string): string {
  return locale === 'en' && node.nameEn ? node.nameEn : node.nameZh;
}
