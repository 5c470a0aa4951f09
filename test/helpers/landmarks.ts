import { visibleText } from './web.ts';

/**
 * Landmarks of a page that share a role and an accessible name (what axe's
 * `landmark-unique` reports), found in the HTML a route sent: named sections
 * and forms, role="region" elements, navigation and complementary landmarks. Names come from aria-label
 * or from the text of the elements aria-labelledby names.
 */
export function duplicateLandmarks(html: string): string[] {
  const textOfId = (id: string): string => {
    const match = new RegExp(`<(\\w+)[^>]*\\sid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
    return match ? visibleText(match[2]!).replace(/\s+/g, ' ').trim() : '';
  };
  const seen = new Map<string, number>();
  for (const match of html.matchAll(/<(section|nav|aside|div|form)\b([^>]*)>/g)) {
    const [, tag, attributes] = match as unknown as [string, string, string];
    const role = /\srole="([^"]+)"/.exec(attributes)?.[1] ?? ({ section: 'region', nav: 'navigation', aside: 'complementary', form: 'form' } as Record<string, string>)[tag] ?? null;
    if (role === null) continue;
    const label = /\saria-label="([^"]*)"/.exec(attributes)?.[1];
    const labelledBy = /\saria-labelledby="([^"]*)"/.exec(attributes)?.[1];
    const name = (label !== undefined ? visibleText(label) : labelledBy ? labelledBy.split(/\s+/).map(textOfId).join(' ') : '').trim();
    if (name === '' && (role === 'region' || role === 'form')) continue; // an unnamed section or form is no landmark
    const key = `${role}: ${name}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, count]) => count > 1).map(([key, count]) => `${key} ×${count}`);
}
