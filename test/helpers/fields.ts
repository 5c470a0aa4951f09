import type { Page } from 'playwright-core';

/**
 * Every form field on the page, whatever its type (text, date, time, month,
 * search, file, select, textarea...), measured as a person sees it: text at
 * least 18px (24px in elder mode) and at least 24px tall (WCAG 2.5.8); in
 * elder mode at least 60px tall and wide. Returns the fields that fall short
 * and how many were measured. Checkboxes and radios are measured as targets
 * only (they carry no text).
 */
export async function measureFields(page: Page, elder: boolean): Promise<{ found: string[]; checked: number; types: string[] }> {
  return page.evaluate((elderMode) => {
    const found: string[] = [];
    const types = new Set<string>();
    let checked = 0;
    const minimumText = elderMode ? 24 : 18;
    const minimumSize = elderMode ? 60 : 24;
    for (const element of document.querySelectorAll<HTMLElement>('input:not([type="hidden"]), select, textarea')) {
      const style = getComputedStyle(element);
      const box = element.getBoundingClientRect();
      if (element.getClientRects().length === 0 || style.visibility === 'hidden' || box.right <= 0) continue;
      const type = element instanceof HTMLInputElement ? element.type : element.tagName.toLowerCase();
      types.add(type);
      checked += 1;
      const name = `${type} #${element.id || (element as HTMLInputElement).name}`;
      const carriesText = !['checkbox', 'radio'].includes(type);
      if (carriesText && parseFloat(style.fontSize) < minimumText) found.push(`${name}: text ${style.fontSize}`);
      if (box.height < minimumSize) found.push(`${name}: ${Math.round(box.height)}px tall`);
      if (elderMode && box.width < minimumSize) found.push(`${name}: ${Math.round(box.width)}px wide`);
    }
    return { found, checked, types: [...types].sort() };
  }, elder);
}
