import { pinyin } from 'pinyin-pro';

/**
 * Pinyin search keys for a Chinese name. The first reading uses pinyin-pro's
 * surname mode, so 单 reads shan, 曾 zeng, 仇 qiu, 解 xie; when the plain
 * reading differs (dan, ceng, chou, jie) it is kept as a second alternative,
 * space-separated, because people type what they think they hear.
 * Non-Chinese characters are kept lower-cased without spaces.
 */
export interface NamePinyin {
  full: string;
  initials: string;
}

function readings(name: string, pattern: 'pinyin' | 'first', surname: boolean): string {
  return pinyin(name, {
    toneType: 'none',
    type: 'array',
    pattern,
    surname: surname ? 'head' : 'off',
    nonZh: 'consecutive',
    v: true,
  })
    .join('')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

export function namePinyin(name: string): NamePinyin {
  const trimmed = name.trim();
  const full = readings(trimmed, 'pinyin', true);
  const plainFull = readings(trimmed, 'pinyin', false);
  const initials = readings(trimmed, 'first', true);
  const plainInitials = readings(trimmed, 'first', false);
  // ü is written v by pinyin-pro (lv); many people type u (lu), so keep both.
  const fulls = new Set([full, plainFull, full.replaceAll('v', 'u')]);
  return {
    full: [...fulls].join(' '),
    initials: [...new Set([initials, plainInitials])].join(' '),
  };
}

/** Normalizes what a user typed in a search box to compare with the pinyin columns. */
export function normalizePinyinQuery(query: string): string {
  return query.toLowerCase().replace(/[^a-z0-9]/g, '');
}
