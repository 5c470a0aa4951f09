import type { Locale, Translate } from '../../i18n/index.ts';
import type { MessageKind, MessageParams } from './events.ts';
import { shownValue } from './sms-text.ts';

/** A message in the reader's words: the catalogue's sentence for its kind, its values shown the reader's way. */
export function messageText(t: Translate, locale: Locale, kind: MessageKind, params: MessageParams): string {
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) shown[name] = shownValue(name, value, locale);
  return t(`messages.kind.${kind}`, shown);
}
