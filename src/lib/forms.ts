import { randomUUID } from 'node:crypto';

/** Reads one text field from a parsed form body: '' when missing, the first value when repeated. */
export function field(body: unknown, name: string): string {
  if (typeof body !== 'object' || body === null) return '';
  const value = (body as Record<string, unknown>)[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return '';
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

export function readIdempotencyKey(body: unknown): string | null {
  const key = field(body, 'idempotency_key');
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(key) ? key.toLowerCase() : null;
}
