import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The application's secrets. They come from environment variables or from a
 * file generated on first start in DATA_DIR with mode 0600; never from the
 * repository, never logged.
 *
 * - tokenSigningKey: signs access tokens (HS256).
 * - dataEncryptionKey: 32 bytes for AES-256-GCM of personal data (ID numbers).
 * - dataHashingKey: 32 bytes for keyed hashes (HMAC-SHA256) used to find
 *   duplicates and look records up without decrypting; derived from the data
 *   encryption key with HKDF so only one data secret needs to be kept safe.
 */
export interface Secrets {
  readonly tokenSigningKey: Buffer;
  readonly dataEncryptionKey: Buffer;
  readonly dataHashingKey: Buffer;
}

export const secretsFileName = 'secrets.json';
const tokenKeyVariable = 'SILVER_HOURS_TOKEN_KEY';
const dataKeyVariable = 'SILVER_HOURS_DATA_KEY';

function decodeKey(name: string, value: string, minimumBytes: number, exactBytes?: number): Buffer {
  const key = Buffer.from(value, 'base64');
  if (exactBytes !== undefined && key.length !== exactBytes) {
    throw new Error(`${name} must be ${exactBytes} bytes in base64 (got ${key.length} bytes)`);
  }
  if (key.length < minimumBytes) throw new Error(`${name} must be at least ${minimumBytes} bytes in base64`);
  return key;
}

export function secretsFromKeys(tokenSigningKey: Buffer, dataEncryptionKey: Buffer): Secrets {
  if (dataEncryptionKey.length !== 32) throw new Error('data encryption key must be 32 bytes');
  if (tokenSigningKey.length < 32) throw new Error('token signing key must be at least 32 bytes');
  const dataHashingKey = Buffer.from(hkdfSync('sha256', dataEncryptionKey, Buffer.alloc(0), 'silver-hours/data-hashing', 32));
  return Object.freeze({ tokenSigningKey, dataEncryptionKey, dataHashingKey });
}

/** Fresh random secrets, for tests and for the first start. */
export function generateSecrets(): Secrets {
  return secretsFromKeys(randomBytes(48), randomBytes(32));
}

/**
 * Loads secrets: each key from its environment variable if set, otherwise
 * from DATA_DIR/secrets.json, which is created (mode 0600) when missing.
 */
export function loadSecrets(dataDirectory: string, environment: NodeJS.ProcessEnv = process.env): Secrets {
  const fromEnvironmentToken = environment[tokenKeyVariable];
  const fromEnvironmentData = environment[dataKeyVariable];
  if (fromEnvironmentToken && fromEnvironmentData) {
    return secretsFromKeys(
      decodeKey(tokenKeyVariable, fromEnvironmentToken, 32),
      decodeKey(dataKeyVariable, fromEnvironmentData, 32, 32),
    );
  }
  mkdirSync(dataDirectory, { recursive: true });
  const file = join(dataDirectory, secretsFileName);
  if (!existsSync(file)) {
    const content = JSON.stringify({
      tokenSigningKey: randomBytes(48).toString('base64'),
      dataEncryptionKey: randomBytes(32).toString('base64'),
    });
    // 'wx' refuses to overwrite a file another process created meanwhile.
    writeFileSync(file, content + '\n', { mode: 0o600, flag: 'wx' });
  }
  const mode = statSync(file).mode & 0o777;
  if (mode !== 0o600) chmodSync(file, 0o600);
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { tokenSigningKey?: string; dataEncryptionKey?: string };
  if (!stored.tokenSigningKey || !stored.dataEncryptionKey) throw new Error(`${file} is missing a key`);
  return secretsFromKeys(
    fromEnvironmentToken ? decodeKey(tokenKeyVariable, fromEnvironmentToken, 32) : decodeKey('tokenSigningKey', stored.tokenSigningKey, 32),
    fromEnvironmentData ? decodeKey(dataKeyVariable, fromEnvironmentData, 32, 32) : decodeKey('dataEncryptionKey', stored.dataEncryptionKey, 32, 32),
  );
}

/** A keyed hash (hex) for lookups of personal values without storing them in clear. */
export function keyedHash(secrets: Secrets, purpose: string, value: string): string {
  return createHmac('sha256', secrets.dataHashingKey).update(purpose).update('\0').update(value).digest('hex');
}
