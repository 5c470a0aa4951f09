import type { Sqlite } from '../../db/client.ts';
import { catalogues, translator } from '../../i18n/index.ts';
import { durationText } from '../../lib/duration.ts';
import { formatDateTime } from '../../lib/time.ts';
import { messageKinds, type MessageKind, type MessageParams } from './events.ts';

/**
 * SMS text: the top office's template for the kind (or the catalogue's
 * default), its placeholders filled in Chinese, then the network signature.
 * Each value is cut to its kind's limit, so the longest text a template can
 * give is known when it is saved (templates.ts refuses longer ones).
 */

/** One SMS segment holds 70 Chinese characters; a longer text is sent as parts of 67. */
export const singleSegmentChars = 70;
export const partSegmentChars = 67;
/** The most segments one message may take: a template whose longest rendering needs more is refused. */
export const maximumSegments = 2;
export const defaultSignature = '【银龄时光】';
export const signatureKind = 'signature';

export function segmentsOf(length: number): number {
  return length <= singleSegmentChars ? 1 : Math.ceil(length / partSegmentChars);
}

/** The template of a kind as stored, or the catalogue's default. */
export function smsTemplateOf(connection: Sqlite, kind: MessageKind | typeof signatureKind): string {
  const row = connection.prepare('SELECT body FROM sms_templates WHERE kind = ?').get(kind) as { body: string } | undefined;
  if (row) return row.body;
  return kind === signatureKind ? defaultSignature : defaultSmsTemplate(kind);
}

export function defaultSmsTemplate(kind: MessageKind): string {
  return catalogues['zh-CN'][`messages.sms.${kind}`] ?? '';
}

const translators = { 'zh-CN': translator('zh-CN'), en: translator('en') };

/** A parameter as a reader sees it: durations and times by their name's ending. */
export function shownValue(name: string, value: string | number, locale: 'zh-CN' | 'en'): string {
  if (typeof value === 'number' && name.endsWith('Minutes')) return durationText(translators[locale], value);
  if (typeof value === 'number' && name.endsWith('AtMs')) return formatDateTime(value, locale);
  return String(value);
}

/** Fills a template's placeholders, each value cut to `limits[name]` characters. Unknown placeholders stay visible. */
export function fillTemplate(template: string, params: MessageParams, limits: Readonly<Record<string, number>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    const shown = [...shownValue(name, value, 'zh-CN')];
    const limit = limits[name] ?? shown.length;
    return shown.length <= limit ? shown.join('') : `${shown.slice(0, Math.max(0, limit - 1)).join('')}…`;
  });
}

/** The SMS text of one event: template, values, signature. */
export function renderSms(connection: Sqlite, kind: MessageKind, params: MessageParams): string {
  const body = fillTemplate(smsTemplateOf(connection, kind), params, messageKinds[kind].smsParams);
  return `${smsTemplateOf(connection, signatureKind)}${body}`;
}

/** The longest text a template can give: its own characters with every placeholder at its limit, plus the signature. */
export function longestRendering(template: string, limits: Readonly<Record<string, number>>, signature: string): number {
  let length = [...signature].length;
  const literal = template.replace(/\{(\w+)\}/g, (_whole, name: string) => {
    length += limits[name] ?? 0;
    return '';
  });
  return length + [...literal].length;
}
