import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Field encryption for personal data. Keys are passed in (they live outside the
 * database, see src/lib/secrets.ts); nothing here reads the environment.
 * Format: 'v1.' + base64url(iv 12 bytes | tag 16 bytes | ciphertext).
 * `context` is bound as associated data, so a ciphertext copied into another
 * column or table (say from one member's row to another's) fails to decrypt.
 */

const version = 'v1.';

function assertKey(key: Buffer, what: string): void {
  if (!Buffer.isBuffer(key) || key.length !== 32) throw new Error(`${what} must be a 32-byte Buffer`);
}

export function encryptBytes(key: Buffer, plaintext: Buffer, context = ''): Buffer {
  assertKey(key, 'encryption key');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

export function decryptBytes(key: Buffer, sealed: Buffer, context = ''): Buffer {
  assertKey(key, 'encryption key');
  if (sealed.length < 28) throw new Error('ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
}

export function encryptText(key: Buffer, plaintext: string, context = ''): string {
  return version + encryptBytes(key, Buffer.from(plaintext, 'utf8'), context).toString('base64url');
}

export function decryptText(key: Buffer, sealed: string, context = ''): string {
  if (!sealed.startsWith(version)) throw new Error('unknown ciphertext version');
  return decryptBytes(key, Buffer.from(sealed.slice(version.length), 'base64url'), context).toString('utf8');
}

/** Keyed lookup hash (HMAC-SHA256, hex): equal inputs give equal hashes, without the key nobody can test a guess. */
export function lookupHash(key: Buffer, value: string, purpose: string): string {
  assertKey(key, 'lookup key');
  return createHmac('sha256', key).update(`${purpose}\u0000${value}`).digest('hex');
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** An opaque random token (base64url, 32 bytes of entropy). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function constantTimeEqual(left: string, right: string): boolean {
  const a = Buffer.from(left);
  const b = Buffer.from(right);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The two keys the people domain needs; the same shape as `Secrets` from
 * src/lib/secrets.ts, so the application passes its secrets object directly.
 */
export interface PeopleKeys {
  /** AES-256-GCM key for ID numbers, card tokens and uploaded rosters. */
  readonly dataEncryptionKey: Buffer;
  /** HMAC key for lookup hashes of ID numbers. */
  readonly dataHashingKey: Buffer;
}
