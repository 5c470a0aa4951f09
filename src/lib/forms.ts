import { randomUUID } from 'node:crypto';

/** What a number, PIN, phone, card or ID number, amount, date or time may hold once normalised. */
const numericValue = /^[0-9 .+\-:\/xX]*$/;

/**
 * Full-width digits typed on a Chinese keyboard ('１３５７９０', '１．５', '０５：００',
 * an ID number ending in 'Ｘ') become their ASCII forms (NFKC), when the whole
 * value is a number of some kind once normalised. Any other value (a name, a
 * note with Chinese punctuation such as '，') is returned exactly as typed.
 */
export function normalizedNumeric(value: string): string {
  if (!/[^\x00-\x7f]/.test(value)) return value;
  const normalized = value.normalize('NFKC');
  return numericValue.test(normalized) ? normalized : value;
}

/**
 * Normalises every numeric value of a parsed form body or query in place
 * (normalizedNumeric), before any route reads it: one place for every PIN,
 * amount, minute count, phone, card and ID number. Password fields are left
 * as typed (they are compared with what was set, character for character).
 */
export function normalizeNumericFields(fields: unknown): void {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return;
  const record = fields as Record<string, unknown>;
  for (const [name, value] of Object.entries(record)) {
    if (/password/i.test(name)) continue;
    if (typeof value === 'string') record[name] = normalizedNumeric(value);
    else if (Array.isArray(value)) record[name] = value.map((one: unknown) => (typeof one === 'string' ? normalizedNumeric(one) : one));
  }
}

/**
 * Idempotency keys: every form that creates something carries a hidden
 * `idempotency_key` (a UUID made when the form was rendered). The domain
 * stores it in a unique column of the record it creates and, when the same
 * key arrives again, returns the first result instead of writing twice.
 */
export function newIdempotencyKey(): string {
  return randomUUID();
}

/** The form's key when it is a UUID (lowercased), or null; every route declares the field (Form.idempotencyKey()). */
export function readIdempotencyKey(body: unknown): string | null {
  const sent = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).idempotency_key : undefined;
  const key = typeof sent === 'string' ? sent : '';
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(key) ? key.toLowerCase() : null;
}
