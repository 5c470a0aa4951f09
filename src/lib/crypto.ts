import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Field encryption and keyed hashes for personal data. Keys are passed in
 * (they live outside the database, see src/lib/secrets.ts); nothing here reads
 * the environment.
 *
 * Two crypto profiles, chosen once per database (see src/domain/keys/keyring.ts):
 * - `international`: AES-256-GCM; format 'v1.' + base64url(iv 12 | tag 16 | ciphertext);
 *   keyed hashes are HMAC-SHA-256.
 * - `guomi` (the national algorithms a commercial-cryptography assessment expects):
 *   SM4-CTR with HMAC-SM3 over it (encrypt-then-MAC); format 'g1.' + base64url(iv 16 |
 *   tag 32 | ciphertext); keyed hashes are HMAC-SM3. The SM4 and MAC keys are derived
 *   from the 32-byte data key with HKDF-SM3, one key per use.
 * `context` is bound into the tag (GCM associated data, or the HMAC input), so a
 * ciphertext copied into another column or table fails to decrypt.
 */
export const cryptoProfiles = ['international', 'guomi'] as const;
export type CryptoProfile = (typeof cryptoProfiles)[number];

export function isCryptoProfile(value: unknown): value is CryptoProfile {
  return typeof value === 'string' && (cryptoProfiles as readonly string[]).includes(value);
}

/** The digest of a profile's HMACs and key derivations. */
export function profileDigest(profile: CryptoProfile): 'sha256' | 'sm3' {
  return profile === 'guomi' ? 'sm3' : 'sha256';
}

/**
 * The two keys the people domain needs; the same shape as `Secrets` from
 * src/lib/secrets.ts, so the application passes its secrets object directly.
 */
export interface PeopleKeys {
  /** 32-byte data key: AES-256-GCM (or the root of the SM4 keys) for ID numbers, card tokens and uploaded rosters. */
  readonly dataEncryptionKey: Buffer;
  /** HMAC key for lookup hashes of ID numbers. */
  readonly dataHashingKey: Buffer;
  /** Absent means `international`. */
  readonly cryptoProfile?: CryptoProfile;
  /**
   * 32-byte key for the HMAC of redemption PINs (secrets.json `pinKey`).
   * Absent (keys from the environment, or a secrets.json written before PIN
   * keys existed): derived from the data key with HKDF, see `pinKeyOf`.
   */
  readonly pinKey?: Buffer;
  /** PIN keys a rotation replaced, kept while PINs hashed under them remain (they move on next use). */
  readonly retiredPinKeys?: readonly Buffer[];
}

const aesVersion = 'v1.';
const sm4Version = 'g1.';

function assertKey(key: Buffer, what: string): void {
  if (!Buffer.isBuffer(key) || key.length !== 32) throw new Error(`${what} must be a 32-byte Buffer`);
}

function profileOf(keys: PeopleKeys): CryptoProfile {
  return keys.cryptoProfile ?? 'international';
}

function aesSeal(key: Buffer, plaintext: Buffer, context: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

function aesOpen(key: Buffer, sealed: Buffer, context: string): Buffer {
  if (sealed.length < 28) throw new Error('ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
}

const sm4KeyCache = new WeakMap<Buffer, { cipherKey: Buffer; macKey: Buffer }>();

/** SM4 takes a 16-byte key; it and the MAC key are derived from the data key (HKDF-SM3), never the same bytes. */
function sm4Keys(dataKey: Buffer): { cipherKey: Buffer; macKey: Buffer } {
  let keys = sm4KeyCache.get(dataKey);
  if (!keys) {
    keys = {
      cipherKey: Buffer.from(hkdfSync('sm3', dataKey, Buffer.alloc(0), 'silver-hours/sm4-ctr', 16)),
      macKey: Buffer.from(hkdfSync('sm3', dataKey, Buffer.alloc(0), 'silver-hours/sm4-hmac-sm3', 32)),
    };
    sm4KeyCache.set(dataKey, keys);
  }
  return keys;
}

function sm4Tag(macKey: Buffer, context: string, iv: Buffer, ciphertext: Buffer): Buffer {
  const contextBytes = Buffer.from(context, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(contextBytes.length);
  return createHmac('sm3', macKey).update(length).update(contextBytes).update(iv).update(ciphertext).digest();
}

function sm4Seal(dataKey: Buffer, plaintext: Buffer, context: string): Buffer {
  const { cipherKey, macKey } = sm4Keys(dataKey);
  const iv = randomBytes(16);
  const cipher = createCipheriv('sm4-ctr', cipherKey, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, sm4Tag(macKey, context, iv, ciphertext), ciphertext]);
}

function sm4Open(dataKey: Buffer, sealed: Buffer, context: string): Buffer {
  if (sealed.length < 48) throw new Error('ciphertext too short');
  const { cipherKey, macKey } = sm4Keys(dataKey);
  const iv = sealed.subarray(0, 16);
  const ciphertext = sealed.subarray(48);
  // Encrypt-then-MAC: the tag is checked before anything is decrypted.
  if (!timingSafeEqual(sm4Tag(macKey, context, iv, ciphertext), sealed.subarray(16, 48))) throw new Error('unable to authenticate data');
  const decipher = createDecipheriv('sm4-ctr', cipherKey, iv);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

/** Encrypts bytes under the keys' profile (the stored blob carries no version: one profile per database). */
export function encryptBytes(keys: PeopleKeys, plaintext: Buffer, context = ''): Buffer {
  assertKey(keys.dataEncryptionKey, 'encryption key');
  return profileOf(keys) === 'guomi' ? sm4Seal(keys.dataEncryptionKey, plaintext, context) : aesSeal(keys.dataEncryptionKey, plaintext, context);
}

export function decryptBytes(keys: PeopleKeys, sealed: Buffer, context = ''): Buffer {
  assertKey(keys.dataEncryptionKey, 'encryption key');
  return profileOf(keys) === 'guomi' ? sm4Open(keys.dataEncryptionKey, sealed, context) : aesOpen(keys.dataEncryptionKey, sealed, context);
}

export function encryptText(keys: PeopleKeys, plaintext: string, context = ''): string {
  const version = profileOf(keys) === 'guomi' ? sm4Version : aesVersion;
  return version + encryptBytes(keys, Buffer.from(plaintext, 'utf8'), context).toString('base64url');
}

/** Decrypts a text ciphertext; its version must be the keys' profile (a database never mixes profiles). */
export function decryptText(keys: PeopleKeys, sealed: string, context = ''): string {
  const version = profileOf(keys) === 'guomi' ? sm4Version : aesVersion;
  if (!sealed.startsWith(version)) throw new Error(`ciphertext is not in the ${profileOf(keys)} profile's format`);
  return decryptBytes(keys, Buffer.from(sealed.slice(version.length), 'base64url'), context).toString('utf8');
}

/** Keyed lookup hash (HMAC-SHA-256 or HMAC-SM3, hex): equal inputs give equal hashes, without the key nobody can test a guess. */
export function lookupHash(keys: PeopleKeys, value: string, purpose: string): string {
  assertKey(keys.dataHashingKey, 'lookup key');
  return createHmac(profileDigest(profileOf(keys)), keys.dataHashingKey).update(`${purpose}\u0000${value}`).digest('hex');
}

/** A profile's HMAC of `data` under `key` (for MACs over short-lived tokens). */
export function keyedMac(profile: CryptoProfile, key: Buffer, data: string): Buffer {
  return createHmac(profileDigest(profile), key).update(data).digest();
}

const derivedPinKeys = new WeakMap<Buffer, Buffer>();

/** The key PIN HMACs are made under now: the keys' own PIN key, or one derived from the data key (HKDF, the profile's digest). */
export function pinKeyOf(keys: PeopleKeys): Buffer {
  if (keys.pinKey) {
    assertKey(keys.pinKey, 'PIN key');
    return keys.pinKey;
  }
  assertKey(keys.dataEncryptionKey, 'encryption key');
  let derived = derivedPinKeys.get(keys.dataEncryptionKey);
  if (!derived) {
    derived = Buffer.from(hkdfSync(profileDigest(profileOf(keys)), keys.dataEncryptionKey, Buffer.alloc(0), 'silver-hours/pin-hashing', 32));
    derivedPinKeys.set(keys.dataEncryptionKey, derived);
  }
  return derived;
}

/** Names a PIN key without revealing it (16 hex digits of an HMAC of a fixed label), so a stored PIN hash says which key made it. */
export function pinKeyId(digest: 'sha256' | 'sm3', key: Buffer): string {
  return createHmac(digest, key).update('silver-hours/pin-key-id/v1').digest('hex').slice(0, 16);
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
