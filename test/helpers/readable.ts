import type { Page } from 'playwright-core';

/**
 * The size checks the browser sweeps share (issue 14: text >= 18px, 24px in
 * elder mode; elder-mode controls >= 60x60px; nothing scrolls sideways).
 * Each returns what it measured, so the test file keeps its own assertions.
 * `within` is the part of the page measured (a CSS selector; the body unless given).
 */

/** Shown elements (not display:none, not hidden, not off-screen, not inside an SVG) with their own text smaller than `minimum` px. */
export async function smallText(page: Page, minimum: number, within = 'body'): Promise<{ found: string[]; checked: number }> {
  return page.evaluate(
    ([minimumPx, scope]) => {
      const found: string[] = [];
      let checked = 0;
      for (const element of document.querySelector(scope)?.querySelectorAll('*') ?? []) {
        const hasText = [...element.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.textContent?.trim());
        if (!hasText) continue;
        const style = getComputedStyle(element);
        const box = element.getBoundingClientRect();
        if (style.display === 'none' || style.visibility === 'hidden' || box.right <= 0 || element.closest('svg')) continue;
        checked += 1;
        if (parseFloat(style.fontSize) < minimumPx) found.push(`${element.tagName.toLowerCase()} ${style.fontSize}`);
      }
      return { found, checked };
    },
    [minimum, within] as const,
  );
}

/** The controls a finger presses. */
const controls = 'a, button, input:not([type="hidden"]), select, textarea, label.choice';

/** Shown controls (with `summary` the menus' summaries too) smaller than 60x60px. */
export async function smallTargets(page: Page, options: { within?: string; summary?: boolean } = {}): Promise<{ found: string[]; checked: number }> {
  return page.evaluate(
    ([selector, scope]) => {
      const found: string[] = [];
      let checked = 0;
      for (const element of document.querySelector(scope)?.querySelectorAll(selector) ?? []) {
        const box = element.getBoundingClientRect();
        if (box.width === 0 || box.right <= 0 || getComputedStyle(element).visibility === 'hidden') continue;
        checked += 1;
        if (box.width < 60 || box.height < 60) found.push(`${element.tagName.toLowerCase()} "${element.textContent?.trim().slice(0, 20)}" ${Math.round(box.width)}x${Math.round(box.height)}`);
      }
      return { found, checked };
    },
    [options.summary ? `${controls}, summary` : controls, options.within ?? 'body'] as const,
  );
}

/** How many pixels the page scrolls sideways (0 when it does not). */
export async function sidewaysScroll(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}
