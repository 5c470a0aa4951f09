import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { durationText } from '../lib/duration.ts';

/**
 * Message catalogues. Each area keeps its own file per locale,
 * src/i18n/<locale>/<area>.json (or <feature>/<area>.json), with flat keys prefixed by the area
 * ("regions.title"). All files of a locale are merged at load; a key defined
 * twice is an error, so two areas cannot silently override each other.
 */
export const locales = ['zh-CN', 'en'] as const;
export type Locale = (typeof locales)[number];
export const defaultLocale: Locale = 'zh-CN';

export type Messages = Readonly<Record<string, string>>;
export type Translate = (key: string, variables?: Record<string, string | number>) => string;

const catalogueDirectory = dirname(fileURLToPath(import.meta.url));

/** The catalogue files of a locale, feature folders included ("people/members.json"), in a fixed order. */
function catalogueFiles(directory: string): string[] {
  const entries = readdirSync(directory, { recursive: true, encoding: 'utf8' });
  return entries.filter((name) => name.endsWith('.json')).map((name) => name.split(sep).join('/')).sort();
}

function loadLocale(locale: Locale): Messages {
  const directory = join(catalogueDirectory, locale);
  const merged: Record<string, string> = {};
  for (const file of catalogueFiles(directory)) {
    const entries = JSON.parse(readFileSync(join(directory, file), 'utf8')) as Record<string, unknown>;
    for (const [key, value] of Object.entries(entries)) {
      if (typeof value !== 'string') throw new Error(`i18n ${locale}/${file}: "${key}" is not a string`);
      if (key in merged) throw new Error(`i18n ${locale}/${file}: "${key}" is defined twice`);
      merged[key] = value;
    }
  }
  return Object.freeze(merged);
}

export const catalogues: Readonly<Record<Locale, Messages>> = Object.freeze({
  'zh-CN': loadLocale('zh-CN'),
  en: loadLocale('en'),
});

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (locales as readonly string[]).includes(value);
}

/**
 * Replaces {name} placeholders; unknown placeholders are left visible so a test can catch them.
 * {name:duration} shows a number of minutes the one way the app shows time ("1 小时 30 分").
 */
function interpolate(t: Translate, template: string, variables?: Record<string, string | number>): string {
  if (!variables) return template;
  return template.replace(/\{(\w+)(?::(duration))?\}/g, (whole, name: string, format: string | undefined) => {
    if (!(name in variables)) return whole;
    const value = variables[name];
    return format === 'duration' && typeof value === 'number' ? durationText(t, value) : String(value);
  });
}

export function translator(locale: Locale): Translate {
  const messages = catalogues[locale];
  const fallback = catalogues[defaultLocale];
  const t: Translate = (key, variables) => interpolate(t, messages[key] ?? fallback[key] ?? key, variables);
  return t;
}

/** Cookie first, then Accept-Language, then Chinese. */
export function chooseLocale(cookieValue: string | undefined, acceptLanguage: string | undefined): Locale {
  if (isLocale(cookieValue)) return cookieValue;
  if (acceptLanguage) {
    const ranked = acceptLanguage
      .split(',')
      .map((part) => {
        const [tag = '', ...parameters] = part.trim().split(';');
        const quality = parameters.find((p) => p.trim().startsWith('q='));
        return { tag: tag.toLowerCase(), quality: quality ? Number(quality.trim().slice(2)) || 0 : 1 };
      })
      .sort((a, b) => b.quality - a.quality);
    for (const { tag } of ranked) {
      if (tag.startsWith('zh')) return 'zh-CN';
      if (tag.startsWith('en')) return 'en';
    }
  }
  return defaultLocale;
}
