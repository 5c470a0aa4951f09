import { hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { keyedMac, lookupHash, pinKeyOf, profileDigest, type CryptoProfile } from './crypto.ts';

/**
 * The application's secrets. They come from environment variables or from a
 * file generated on first start in DATA_DIR with mode 0600; never from the
 * repository, never logged.
 *
 * - tokenSigningKey: signs access tokens (HS256) and the counter's short-lived links.
 * - dataEncryptionKey: 32 bytes for personal data (ID numbers, card tokens, rosters):
 *   AES-256-GCM, or the root of the SM4 keys in the guomi profile.
 * - dataHashingKey: 32 bytes for keyed hashes (HMAC-SHA-256 or HMAC-SM3) used to find
 *   duplicates and look records up without decrypting; derived from the data
 *   encryption key with HKDF so only one data secret needs to be kept safe.
 * - pinKey: 32 bytes for the HMAC of redemption PINs (src/domain/people/members/pin-hash.ts);
 *   generated with the others. A secrets file without one (written before PIN keys
 *   existed) and keys from the environment use one derived from the data key.
 * - retiredPinKeys: PIN keys replaced by `keys rotate`, kept only while PINs hashed
 *   under them remain (a PIN cannot be re-hashed without the PIN; each moves to the
 *   current key on its next successful use).
 * - cryptoProfile: which algorithms, recorded in the database at first start.
 */
export interface Secrets {
  readonly tokenSigningKey: Buffer;
  readonly dataEncryptionKey: Buffer;
  readonly dataHashingKey: Buffer;
  readonly pinKey: Buffer;
  readonly retiredPinKeys: readonly Buffer[];
  readonly cryptoProfile: CryptoProfile;
}

export interface PinKeys {
  pinKey?: Buffer;
  retiredPinKeys?: readonly Buffer[];
}

export const secretsFileName = 'secrets.json';
export const tokenKeyVariable = 'SILVER_HOURS_TOKEN_KEY';
export const dataKeyVariable = 'SILVER_HOURS_DATA_KEY';

/** A refusal to start for a reason about keys; the message is one sentence for the operator (Chinese, then English). */
export class KeyCheckError extends Error {
  override name = 'KeyCheckError';
}

function decodeKey(name: string, value: string, minimumBytes: number, exactBytes?: number): Buffer {
  const key = Buffer.from(value, 'base64');
  if (exactBytes !== undefined && key.length !== exactBytes) {
    throw new Error(`${name} must be ${exactBytes} bytes in base64 (got ${key.length} bytes)`);
  }
  if (key.length < minimumBytes) throw new Error(`${name} must be at least ${minimumBytes} bytes in base64`);
  return key;
}

export function secretsFromKeys(tokenSigningKey: Buffer, dataEncryptionKey: Buffer, cryptoProfile: CryptoProfile = 'international', pinKeys: PinKeys = {}): Secrets {
  if (dataEncryptionKey.length !== 32) throw new Error('data encryption key must be 32 bytes');
  if (tokenSigningKey.length < 32) throw new Error('token signing key must be at least 32 bytes');
  for (const key of [pinKeys.pinKey, ...(pinKeys.retiredPinKeys ?? [])]) {
    if (key !== undefined && key.length !== 32) throw new Error('PIN keys must be 32 bytes');
  }
  const dataHashingKey = Buffer.from(hkdfSync(profileDigest(cryptoProfile), dataEncryptionKey, Buffer.alloc(0), 'silver-hours/data-hashing', 32));
  const pinKey = pinKeyOf({ dataEncryptionKey, dataHashingKey, cryptoProfile, pinKey: pinKeys.pinKey });
  return Object.freeze({ tokenSigningKey, dataEncryptionKey, dataHashingKey, pinKey, retiredPinKeys: Object.freeze([...(pinKeys.retiredPinKeys ?? [])]), cryptoProfile });
}

/** Fresh random secrets, for tests, the first start and key rotation. */
export function generateSecrets(cryptoProfile: CryptoProfile = 'international', retiredPinKeys: readonly Buffer[] = []): Secrets {
  return secretsFromKeys(randomBytes(48), randomBytes(32), cryptoProfile, { pinKey: randomBytes(32), retiredPinKeys });
}

/** The secrets file's content (base64 keys); the profile is recorded in the database, not here. */
export function secretsFileContent(secrets: Secrets): string {
  return JSON.stringify({
    tokenSigningKey: secrets.tokenSigningKey.toString('base64'),
    dataEncryptionKey: secrets.dataEncryptionKey.toString('base64'),
    pinKey: secrets.pinKey.toString('base64'),
    ...(secrets.retiredPinKeys.length > 0 ? { retiredPinKeys: secrets.retiredPinKeys.map((key) => key.toString('base64')) } : {}),
  }) + '\n';
}

/** Writes a file with mode 0600 and flushes it to disk before returning. */
export function writeSecretFileDurably(path: string, content: string): void {
  const descriptor = openSync(path, 'w', 0o600);
  try {
    writeSync(descriptor, content);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

/**
 * Creates `file` with fresh keys unless it exists. The keys are written to a
 * private temporary file and hard-linked into place, which fails if another
 * process created the file meanwhile: a reader never sees a half-written file.
 */
function createSecretsFile(file: string): void {
  createSecretFileOnce(file, secretsFileContent(generateSecrets()));
}

/**
 * Writes `content` to a new private file `file` unless it exists: to a
 * temporary file first (durably), then hard-linked into place, which fails if
 * another process created the file meanwhile, so a reader never sees a
 * half-written file and the first writer wins.
 */
export function createSecretFileOnce(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeSecretFileDurably(temporary, content);
  try {
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

export interface LoadOptions {
  cryptoProfile?: CryptoProfile;
  /**
   * Whether a missing secrets file may be created with new keys: only for a
   * database that holds no data under keys (see src/domain/keys/keyring.ts).
   * Default true.
   */
  mayGenerate?: boolean;
}

/** Where the keys come from, for messages: the environment variables or the file. */
export function secretsSource(dataDirectory: string, environment: NodeJS.ProcessEnv = process.env): string {
  return environment[dataKeyVariable] ? dataKeyVariable : join(dataDirectory, secretsFileName);
}

export function missingKeysMessage(file: string): string {
  return `密钥文件 ${file} 不存在，而数据库中已有用原密钥加密的数据（身份证号等），不会生成新密钥：请从备份恢复该文件，或设置环境变量 ${tokenKeyVariable} 和 ${dataKeyVariable} 后再启动。`
    + ` / The keys are missing: restore ${file} from your backup (or set ${tokenKeyVariable} and ${dataKeyVariable}); the database holds data encrypted under the original keys, so no new keys are generated.`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface StoredSecrets {
  tokenSigningKey: string;
  dataEncryptionKey: string;
  pinKey?: string;
  retiredPinKeys?: string[];
}

function damaged(file: string): KeyCheckError {
  return new KeyCheckError(`密钥文件 ${file} 已损坏（不是含两个密钥的 JSON）：请从备份恢复该文件。 / ${file} is damaged (not JSON with the two keys): restore it from your backup.`);
}

/** The base64 keys of a secrets file, or a KeyCheckError saying the file is damaged. */
function readSecretsFile(file: string): StoredSecrets {
  const stored = parseJson(readFileSync(file, 'utf8')) as { tokenSigningKey?: unknown; dataEncryptionKey?: unknown; pinKey?: unknown; retiredPinKeys?: unknown } | undefined;
  if (typeof stored?.tokenSigningKey !== 'string' || typeof stored.dataEncryptionKey !== 'string') throw damaged(file);
  if (stored.pinKey !== undefined && typeof stored.pinKey !== 'string') throw damaged(file);
  const retired = stored.retiredPinKeys;
  if (retired !== undefined && !(Array.isArray(retired) && retired.every((key) => typeof key === 'string'))) throw damaged(file);
  return { tokenSigningKey: stored.tokenSigningKey, dataEncryptionKey: stored.dataEncryptionKey, pinKey: stored.pinKey, retiredPinKeys: retired };
}

/** The PIN keys a secrets file holds (none in a file written before PIN keys existed). */
export function storedPinKeys(stored: { pinKey?: string; retiredPinKeys?: string[] }): PinKeys {
  return {
    pinKey: stored.pinKey === undefined ? undefined : decodeKey('pinKey', stored.pinKey, 32, 32),
    retiredPinKeys: (stored.retiredPinKeys ?? []).map((key) => decodeKey('retiredPinKeys', key, 32, 32)),
  };
}

/**
 * Loads secrets: each key from its environment variable if set, otherwise
 * from DATA_DIR/secrets.json, which is created (mode 0600) when missing and
 * `mayGenerate` allows it; otherwise a KeyCheckError names what to restore.
 */
export function loadSecrets(dataDirectory: string, environment: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): Secrets {
  const profile = options.cryptoProfile ?? 'international';
  const fromEnvironmentToken = environment[tokenKeyVariable];
  const fromEnvironmentData = environment[dataKeyVariable];
  if (fromEnvironmentToken && fromEnvironmentData) {
    return secretsFromKeys(
      decodeKey(tokenKeyVariable, fromEnvironmentToken, 32),
      decodeKey(dataKeyVariable, fromEnvironmentData, 32, 32),
      profile,
    );
  }
  mkdirSync(dataDirectory, { recursive: true });
  const file = join(dataDirectory, secretsFileName);
  if (!existsSync(file)) {
    if (options.mayGenerate === false) throw new KeyCheckError(missingKeysMessage(file));
    createSecretsFile(file);
  }
  const mode = statSync(file).mode & 0o777;
  if (mode !== 0o600) chmodSync(file, 0o600);
  const stored = readSecretsFile(file);
  return secretsFromKeys(
    fromEnvironmentToken ? decodeKey(tokenKeyVariable, fromEnvironmentToken, 32) : decodeKey('tokenSigningKey', stored.tokenSigningKey, 32),
    fromEnvironmentData ? decodeKey(dataKeyVariable, fromEnvironmentData, 32, 32) : decodeKey('dataEncryptionKey', stored.dataEncryptionKey, 32, 32),
    profile,
    storedPinKeys(stored),
  );
}

/** A keyed hash (hex) for lookups of personal values without storing them in clear. */
export function keyedHash(secrets: Secrets, purpose: string, value: string): string {
  return lookupHash(secrets, value, purpose);
}

/**
 * Identifies the data key without revealing it: the profile's HMAC of a fixed
 * label under the key. Stored in the database so a start with other keys is refused.
 */
export function keyFingerprint(secrets: Pick<Secrets, 'dataEncryptionKey' | 'cryptoProfile'>): string {
  return keyedMac(secrets.cryptoProfile, secrets.dataEncryptionKey, 'silver-hours/key-fingerprint/v1').toString('hex');
}
