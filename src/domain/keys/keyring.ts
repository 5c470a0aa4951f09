import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db, Sqlite } from '../../db/client.ts';
import { decryptText, type CryptoProfile } from '../../lib/crypto.ts';
import {
  KeyCheckError, keyFingerprint, loadSecrets, secretsFileName, secretsFromKeys, secretsSource, type Secrets,
} from '../../lib/secrets.ts';
import { writeTransaction } from '../kernel/transaction.ts';

/**
 * Binds a database to its keys. The first start records the crypto profile and
 * a fingerprint of the data key in `settings`; every later start (the server
 * and each CLI command that uses keys) compares and refuses with one sentence
 * when they differ, and never generates new keys for a database that already
 * holds data under keys: a lost secrets.json must be restored, not replaced.
 */

const profileSetting = 'crypto.profile';
const fingerprintSetting = 'crypto.key_fingerprint';

/** Written by `keys rotate` before the database switches; see rotate.ts. */
export const pendingSecretsFileName = `${secretsFileName}.new`;

export interface KeyBinding {
  profile: CryptoProfile | undefined;
  fingerprint: string | undefined;
}

export function readKeyBinding(sqlite: Sqlite): KeyBinding {
  const read = (key: string) => sqlite.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined;
  return { profile: read(profileSetting) as CryptoProfile | undefined, fingerprint: read(fingerprintSetting) };
}

/** Records (or replaces) the profile and fingerprint; call inside the caller's write transaction. */
export function writeKeyBinding(sqlite: Sqlite, secrets: Secrets, nowMs: number): void {
  const upsert = sqlite.prepare(`INSERT INTO settings (key, value, updated_at_ms) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms`);
  upsert.run(profileSetting, secrets.cryptoProfile, nowMs);
  upsert.run(fingerprintSetting, keyFingerprint(secrets), nowMs);
}

/** Whether anything in the database was encrypted or hashed under the data key. */
export function hasKeyedData(sqlite: Sqlite): boolean {
  return sqlite.prepare(`SELECT EXISTS (SELECT 1 FROM members) OR EXISTS (SELECT 1 FROM elders)
    OR EXISTS (SELECT 1 FROM import_batches WHERE file_ciphertext IS NOT NULL)`).pluck().get() === 1;
}

function profileMessage(recorded: CryptoProfile, requested: CryptoProfile): string {
  return `加密方案不符：该数据库使用 ${recorded} 方案，而 CRYPTO_PROFILE=${requested}；请取消 CRYPTO_PROFILE 或把它设为 ${recorded}（换方案请用 keys rotate --profile）。`
    + ` / This database uses the ${recorded} crypto profile but CRYPTO_PROFILE is ${requested}: unset CRYPTO_PROFILE or set it to ${recorded} (to change profiles, use keys rotate --profile).`;
}

function mismatchMessage(dataDirectory: string, environment: NodeJS.ProcessEnv, matching: string | undefined): string {
  const source = secretsSource(dataDirectory, environment);
  const file = join(dataDirectory, secretsFileName);
  if (matching?.endsWith('.new')) {
    return `密钥轮换未完成：数据库已使用 ${matching} 中的新密钥；请把它改名为 ${file} 后再启动。`
      + ` / A key rotation was interrupted: the database already uses the new keys in ${matching}; rename it to ${file} and start again.`;
  }
  if (matching && source === file) {
    return `密钥与数据库不符：该数据库（例如从轮换前的备份恢复的）使用 ${matching} 中的密钥；请用它替换 ${file} 后再启动。`
      + ` / The keys in ${file} are not the ones this database's data is encrypted with, but those in ${matching} are (a backup from before a rotation?): copy it to ${file} and start again.`;
  }
  return `密钥与数据库不符：数据库中的数据不是用 ${source} 中的密钥加密的；请从备份恢复与该数据库配套的 ${source} 后再启动。`
    + ` / The keys in ${source} are not the ones this database's data is encrypted with: restore the matching ${source} from your backup and start again.`;
}

/**
 * A secrets file beside secrets.json that holds the keys the database records:
 * secrets.json.new (left by an interrupted rotation) or a dated
 * secrets.json.<time>.bak (kept by a rotation, for backups made before it).
 */
function findMatchingSecretsFile(dataDirectory: string, profile: CryptoProfile, fingerprint: string): string | undefined {
  const candidates = readdirSync(dataDirectory).filter((name) => name === pendingSecretsFileName || (name.startsWith(`${secretsFileName}.`) && name.endsWith('.bak')));
  for (const name of candidates.sort().reverse()) {
    try {
      const stored = JSON.parse(readFileSync(join(dataDirectory, name), 'utf8')) as { tokenSigningKey: string; dataEncryptionKey: string };
      const keys = secretsFromKeys(Buffer.from(stored.tokenSigningKey, 'base64'), Buffer.from(stored.dataEncryptionKey, 'base64'), profile);
      if (keyFingerprint(keys) === fingerprint) return join(dataDirectory, name);
    } catch {
      // not a readable secrets file: not a candidate
    }
  }
  return undefined;
}

/**
 * A database written before fingerprints were recorded: the keys are accepted
 * only if they open its oldest ID number. (seed big wrote 'id_number' as the
 * purpose before it sealed like registration does; either is accepted.)
 */
function keysOpenExistingData(sqlite: Sqlite, secrets: Secrets): boolean {
  const sealed = (sqlite.prepare('SELECT id_number_ciphertext FROM members ORDER BY id LIMIT 1').pluck().get()
    ?? sqlite.prepare('SELECT id_number_ciphertext FROM elders ORDER BY id LIMIT 1').pluck().get()) as string | undefined;
  return sealed === undefined || openStoredIdNumber(secrets, sealed) !== undefined;
}

/** A stored ID number in clear, or undefined when these keys cannot open it. */
export function openStoredIdNumber(secrets: Secrets, sealed: string): string | undefined {
  for (const purpose of ['id-number', 'id_number']) {
    try {
      return decryptText(secrets, sealed, purpose);
    } catch {
      // try the next purpose
    }
  }
  return undefined;
}

function chooseProfile(binding: KeyBinding, keyed: boolean, requested: CryptoProfile | undefined): CryptoProfile {
  // A database with data but no recorded profile predates profiles: it is international.
  const recorded = binding.profile ?? (keyed ? 'international' : undefined);
  if (recorded && requested && recorded !== requested) throw new KeyCheckError(profileMessage(recorded, requested));
  return recorded ?? requested ?? 'international';
}

export interface UnlockOptions {
  /** CRYPTO_PROFILE, if set: chosen at the first start, must agree later. */
  requestedProfile?: CryptoProfile;
  environment?: NodeJS.ProcessEnv;
  nowMs?: number;
}

/**
 * Loads the keys for this database, or throws a KeyCheckError whose message
 * says what to restore. Records the profile and fingerprint on first use.
 */
export function unlockKeys(db: Db, dataDirectory: string, options: UnlockOptions = {}): Secrets {
  const sqlite = db.$client;
  const environment = options.environment ?? process.env;
  const binding = readKeyBinding(sqlite);
  const keyed = hasKeyedData(sqlite);
  const cryptoProfile = chooseProfile(binding, keyed, options.requestedProfile);
  const secrets = loadSecrets(dataDirectory, environment, { cryptoProfile, mayGenerate: !keyed });
  const fingerprint = keyFingerprint(secrets);
  // The usual start: already bound to these keys, nothing to write (works on a read-only file too).
  if (binding.fingerprint === fingerprint && binding.profile === cryptoProfile) return secrets;
  writeTransaction(sqlite, () => {
    // Read again under the write lock: another process may have bound the database meanwhile.
    const current = readKeyBinding(sqlite);
    const stillKeyed = hasKeyedData(sqlite);
    if (current.profile && current.profile !== cryptoProfile) throw new KeyCheckError(profileMessage(current.profile, cryptoProfile));
    const matches = current.fingerprint ? current.fingerprint === fingerprint : !stillKeyed || keysOpenExistingData(sqlite, secrets);
    if (!matches && stillKeyed) {
      const matching = current.fingerprint === undefined ? undefined : findMatchingSecretsFile(dataDirectory, cryptoProfile, current.fingerprint);
      throw new KeyCheckError(mismatchMessage(dataDirectory, environment, matching));
    }
    if (current.fingerprint !== fingerprint || current.profile !== cryptoProfile) writeKeyBinding(sqlite, secrets, options.nowMs ?? Date.now());
  });
  return secrets;
}
