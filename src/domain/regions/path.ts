/**
 * A region path is the materialized lineage of a region, from the province
 * down to the region itself, each code between slashes:
 * '/430000/433100/433123/433123101/433123101001/' (province, city, county,
 * township, village). Every reading of a path goes through these functions,
 * so no code splits paths on '/' by hand.
 */

/** The levels of the region tree, from the top. */
export type RegionLevel = 'province' | 'city' | 'county' | 'township' | 'village';

/** The levels in path order: a path of depth n ends at levelsByDepth[n - 1]. */
const levelsByDepth: readonly RegionLevel[] = ['province', 'city', 'county', 'township', 'village'];

/** How deep counties sit: the third code of a path. */
const countyDepth = 3;

/** The codes of a path, root first ('/43/4331/' -> ['43', '4331']). */
export function codesOfPath(path: string): string[] {
  return path.split('/').filter(Boolean);
}

/** The path of a list of codes, root first (['43', '4331'] -> '/43/4331/'). */
export function pathOfCodes(codes: readonly string[]): string {
  return `/${codes.join('/')}/`;
}

/** The code of the region a path ends at, or undefined for an empty path. */
export function codeOfPath(path: string): string | undefined {
  return codesOfPath(path).at(-1);
}

/** The level of the region a path ends at, or undefined when the path is empty or deeper than a village. */
export function levelOfPath(path: string): RegionLevel | undefined {
  return levelsByDepth[codesOfPath(path).length - 1];
}

/** Whether a path ends above county level (a province or a city): such offices settle between counties. */
export function isAboveCounty(path: string): boolean {
  return codesOfPath(path).length < countyDepth;
}

/** The county code of a path ('/430000/433100/433123/…' -> '433123'), or undefined above county level. */
export function countyCodeOfPath(path: string): string | undefined {
  return codesOfPath(path)[countyDepth - 1];
}

/** The county part of a path ('/43/4331/433123/433123101/' -> '/43/4331/433123/'), or null above county level. */
export function countyPathOf(path: string): string | null {
  const codes = codesOfPath(path);
  return codes.length >= countyDepth ? pathOfCodes(codes.slice(0, countyDepth)) : null;
}

/**
 * How many leading codes two paths share: the depth of the deepest region
 * holding both ('/43/4331/433123/' and '/43/4331/433130/' share 2).
 */
export function sharedDepth(first: string, second: string): number {
  const a = codesOfPath(first);
  const b = codesOfPath(second);
  let depth = 0;
  while (depth < a.length && depth < b.length && a[depth] === b[depth]) depth += 1;
  return depth;
}
