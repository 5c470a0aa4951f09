import { verify } from '@node-rs/argon2';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { pinKeyId, pinKeyOf, profileDigest, type PeopleKeys } from '../../../lib/crypto.ts';

/**
 * How a redemption PIN is stored: an HMAC (SHA-256, or SM3 under the guomi
 * profile) of the member id and the PIN under the PIN key, which lives in
 * secrets.json, never in the database. A 6-digit PIN has 10^6 values, so no
 * slow hash can make an offline guess expensive (argon2id at ~10 ms: under 3
 * hours for every PIN of a member); the key does: without it a stolen database
 * tests no guess at all. Online guesses are stopped by the attempt lock
 * (pin.ts), which is the real protection. See README, "Security".
 *
 * Stored form: `hmac-<digest>$<key id>$<hex mac>`. The key id says which key
 * made it (a rotation keeps the previous key while PINs under it remain).
 * The member id is in the MAC input, so two members with the same PIN have
 * different hashes. Older rows hold argon2id hashes (`$argon2id$...`); both
 * forms verify, and a right PIN in an old form is rewritten in the current one.
 */

const pinLabel = 'silver-hours/pin/v1';

type Digest = 'sha256' | 'sm3';

function mac(digest: Digest, key: Buffer, memberId: number, pin: string): Buffer {
  return createHmac(digest, key).update(`${pinLabel}\u0000${memberId}\u0000${pin}`).digest();
}

function currentDigest(keys: PeopleKeys): Digest {
  return profileDigest(keys.cryptoProfile ?? 'international');
}

/** The stored form of a member's PIN under the current PIN key. */
export function hashPin(keys: PeopleKeys, memberId: number, pin: string): string {
  const digest = currentDigest(keys);
  const key = pinKeyOf(keys);
  return `hmac-${digest}$${pinKeyId(digest, key)}$${mac(digest, key, memberId, pin).toString('hex')}`;
}

interface ParsedPinHash {
  digest: Digest;
  keyId: string;
  mac: Buffer;
}

function parsePinHash(stored: string): ParsedPinHash | null {
  const match = /^hmac-(?<digest>sha256|sm3)\$(?<keyId>[0-9a-f]{16})\$(?<mac>[0-9a-f]{64})$/.exec(stored);
  const parts = match?.groups;
  if (!parts?.digest || !parts.keyId || !parts.mac) return null;
  return { digest: parts.digest as Digest, keyId: parts.keyId, mac: Buffer.from(parts.mac, 'hex') };
}

/** The id of the key a stored PIN hash was made under, or null for an argon2id (or unknown) form. */
export function pinHashKeyId(stored: string): string | null {
  return parsePinHash(stored)?.keyId ?? null;
}

/** Whether a stored PIN hash is in the current form (the profile's digest under the current PIN key). */
export function isCurrentPinHash(keys: PeopleKeys, stored: string): boolean {
  const parsed = parsePinHash(stored);
  const digest = currentDigest(keys);
  return parsed !== null && parsed.digest === digest && parsed.keyId === pinKeyId(digest, pinKeyOf(keys));
}

/** The current or a retired PIN key that made this hash, if the keys still hold it. */
function keyFor(keys: PeopleKeys, parsed: ParsedPinHash): Buffer | undefined {
  return [pinKeyOf(keys), ...(keys.retiredPinKeys ?? [])].find((key) => pinKeyId(parsed.digest, key) === parsed.keyId);
}

/** Whether the keys hold the key this stored hash needs (argon2id needs none). */
export function pinHashKeyAvailable(keys: PeopleKeys, stored: string): boolean {
  const parsed = parsePinHash(stored);
  return parsed === null ? stored.startsWith('$argon2') : keyFor(keys, parsed) !== undefined;
}

export interface PinHashCheck {
  right: boolean;
  /** The hash is in the current form; when false and right, the caller rewrites it with hashPin. */
  current: boolean;
}

/**
 * Checks a PIN against an HMAC hash at once (synchronously, so inside a write
 * transaction), compared in constant time; null for an argon2id hash, which
 * only the slow asynchronous check can answer (checkPinHash).
 */
export function checkPinHashNow(keys: PeopleKeys, stored: string, memberId: number, pin: string): PinHashCheck | null {
  const parsed = parsePinHash(stored);
  if (parsed === null) return stored.startsWith('$argon2') ? null : { right: false, current: false };
  const key = keyFor(keys, parsed);
  if (key === undefined) return { right: false, current: false };
  const expected = mac(parsed.digest, key, memberId, pin);
  return { right: expected.length === parsed.mac.length && timingSafeEqual(expected, parsed.mac), current: isCurrentPinHash(keys, stored) };
}

/** Checks a PIN against its stored hash: an HMAC (see checkPinHashNow), or (older rows) argon2id. */
export async function checkPinHash(keys: PeopleKeys, stored: string, memberId: number, pin: string): Promise<PinHashCheck> {
  return checkPinHashNow(keys, stored, memberId, pin) ?? { right: await argon2Matches(stored, pin), current: false };
}

async function argon2Matches(stored: string, pin: string): Promise<boolean> {
  try {
    return await verify(stored, pin);
  } catch {
    return false;
  }
}
