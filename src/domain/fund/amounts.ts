import { failure, success, type Outcome } from '../kernel/outcome.ts';

/** The largest amount one entry may carry: ¥10 billion, far above any real fund, far below 2^53 fen. */
export const maxEntryFen = 1_000_000_000_000;

/**
 * Yuan as typed ("1000", "1,000.5", "30.25") to integer fen, exactly (no
 * floating point): negative amounts, fractions of a fen and zero are refused
 * with what is wrong.
 */
export function fenOfYuan(text: string, field = 'amount'): Outcome<number> {
  const typed = text.trim().replace(/，/g, ',');
  if (/^[-−]/.test(typed)) return failure(422, { code: 'liability.error.amount_negative', field });
  // A comma only between groups of three digits ("1,000.50"): "30,50" is not 3050 yuan, it is a mistake to show.
  if (typed.includes(',') && !/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(typed)) return failure(422, { code: 'liability.error.amount_comma', field });
  const trimmed = typed.replace(/,/g, '');
  const match = /^(\d{1,13})(?:\.(\d+))?$/.exec(trimmed);
  if (!match) return failure(422, { code: 'liability.error.amount_invalid', field });
  const decimals = match[2] ?? '';
  if (decimals.length > 2 && /[1-9]/.test(decimals.slice(2))) return failure(422, { code: 'liability.error.amount_fraction', field });
  const fen = Number(match[1]) * 100 + Number(decimals.slice(0, 2).padEnd(2, '0'));
  if (fen === 0) return failure(422, { code: 'liability.error.amount_zero', field });
  if (fen > maxEntryFen) return failure(422, { code: 'liability.error.amount_too_large', field });
  return success(fen);
}

/** Fen as yuan with two decimals, for screens and exports ("1,234.50"). */
export function yuanText(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const yuan = Math.floor(abs / 100).toLocaleString('en-US');
  return `${sign}${yuan}.${String(abs % 100).padStart(2, '0')}`;
}
