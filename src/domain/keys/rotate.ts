import { existsSync, linkSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Db, Sqlite } from '../../db/client.ts';
import { decryptBytes, decryptText, encryptBytes, encryptText, pinKeyId, type CryptoProfile } from '../../lib/crypto.ts';
import {
  KeyCheckError, dataKeyVariable, generateSecrets, secretsFileContent, secretsFileName, tokenKeyVariable, writeSecretFileDurably, type Secrets,
} from '../../lib/secrets.ts';
import { recordAudit } from '../audit/audit.ts';
import { fileContext } from '../people/import/batch.ts';
import { openCardToken, sealCardToken } from '../people/members/card.ts';
import { idNumberHash, sealIdNumber } from '../people/members/identity.ts';
import { isCurrentPinHash, pinHashKeyAvailable, pinHashKeyId } from '../people/members/pin-hash.ts';
import { objectionPhonePurpose } from '../stars/objections.ts';
import { openStoredIdNumber, pendingSecretsFileName, unlockKeys, writeKeyBinding } from './keyring.ts';
import { writeTransaction } from '../kernel/transaction.ts';

/**
 * `keys rotate`: new keys for the data already stored. Everything sealed or
 * hashed under the data key is redone in ONE write transaction together with
 * the new fingerprint: ID numbers (ciphertext and lookup HMAC) of members and
 * elders, members' card tokens, rosters not yet imported. Not keyed, so left
 * alone: passwords (argon2id without a pepper), card token and session
 * hashes (SHA-256 of random tokens). The audit log's keyed phone hashes of
 * failed sign-ins cannot be rewritten (the log is insert-only); they only count
 * attempts within 15 minutes. A new token key signs everyone out.
 *
 * PINs are HMACs under the PIN key, and an HMAC cannot be redone without the
 * PIN itself. The rotation makes a new PIN key for every PIN set or used from
 * now on, and keeps the keys it replaces (in the new secrets.json, as
 * `retiredPinKeys`) only while PIN hashes made under them remain; each such PIN
 * moves to the new key on its next successful use (pin.ts), and a later
 * rotation drops a retired key no PIN needs any more.
 */

export interface RotationCounts {
  idNumbers: number;
  cardTokens: number;
  importFiles: number;
  /** Phones of objections to star notices (src/domain/stars/objections.ts). */
  objectionPhones: number;
}

export interface RotationResult extends RotationCounts {
  cryptoProfile: CryptoProfile;
  backupFile: string;
  /** PIN hashes still under a previous PIN key (or argon2id), moving on their next use. */
  pinsToMove: number;
}

/** Stored PIN hashes by form: under the current key, under a retired key, argon2id, or under a key these secrets lack. */
export interface PinHashCounts {
  current: number;
  retired: number;
  argon2id: number;
  missingKey: number;
}

function storedPinHashes(db: Db): Iterable<string> {
  return db.$client.prepare('SELECT pin_hash FROM members WHERE pin_hash IS NOT NULL').pluck().iterate() as Iterable<string>;
}

export function countPinHashes(db: Db, secrets: Secrets): PinHashCounts {
  const counts: PinHashCounts = { current: 0, retired: 0, argon2id: 0, missingKey: 0 };
  for (const stored of storedPinHashes(db)) {
    if (isCurrentPinHash(secrets, stored)) counts.current += 1;
    else if (!pinHashKeyAvailable(secrets, stored)) counts.missingKey += 1;
    else if (pinHashKeyId(stored) === null) counts.argon2id += 1;
    else counts.retired += 1;
  }
  return counts;
}

/** The PIN keys of `from` (current and retired) that some stored PIN hash was made under: the ones a rotation must keep. */
function pinKeysStillNeeded(db: Db, from: Secrets): Buffer[] {
  const used = new Set<string>();
  for (const stored of storedPinHashes(db)) {
    const keyId = pinHashKeyId(stored);
    if (keyId !== null) used.add(`${stored.slice(0, stored.indexOf('$'))}$${keyId}`);
  }
  const digests = ['sha256', 'sm3'] as const;
  return [from.pinKey, ...from.retiredPinKeys].filter((key) => digests.some((digest) => used.has(`hmac-${digest}$${pinKeyId(digest, key)}`)));
}

/** Re-seals and re-hashes every keyed value from `from` to `to` and records `to`'s binding, in one transaction. */
export function reencryptAll(db: Db, from: Secrets, to: Secrets, nowMs: number): RotationCounts {
  const sqlite: Sqlite = db.$client;
  return writeTransaction(sqlite, () => {
    const counts: RotationCounts = { idNumbers: 0, cardTokens: 0, importFiles: 0, objectionPhones: 0 };
    for (const table of ['members', 'elders'] as const) {
      const cardColumn = table === 'members' ? 'card_token_ciphertext' : 'NULL';
      const rows = sqlite.prepare(`SELECT id, id_number_ciphertext AS idSealed, ${cardColumn} AS cardSealed FROM ${table}`).all() as { id: number; idSealed: string; cardSealed: string | null }[];
      const update = sqlite.prepare(`UPDATE ${table} SET id_number_ciphertext = ?, id_number_hmac = ? WHERE id = ?`);
      const updateCard = sqlite.prepare('UPDATE members SET card_token_ciphertext = ? WHERE id = ?');
      for (const row of rows) {
        const idNumber = openStoredIdNumber(from, row.idSealed);
        if (idNumber === undefined) throw new KeyCheckError(`${table} ${row.id}: 身份证号无法用当前密钥解密，未轮换任何数据。 / ${table} row ${row.id}: its ID number does not open under the current keys; nothing was rotated.`);
        update.run(sealIdNumber(to, idNumber), idNumberHash(to, idNumber), row.id);
        counts.idNumbers += 1;
        if (row.cardSealed !== null) {
          updateCard.run(sealCardToken(to, openCardToken(from, row.cardSealed)), row.id);
          counts.cardTokens += 1;
        }
      }
    }
    const files = sqlite.prepare('SELECT id, file_ciphertext AS sealed FROM import_batches WHERE file_ciphertext IS NOT NULL').all() as { id: number; sealed: Buffer }[];
    const updateFile = sqlite.prepare('UPDATE import_batches SET file_ciphertext = ? WHERE id = ?');
    for (const file of files) {
      updateFile.run(encryptBytes(to, decryptBytes(from, file.sealed, fileContext), fileContext), file.id);
      counts.importFiles += 1;
    }
    counts.objectionPhones = resealObjectionPhones(sqlite, from, to);
    writeKeyBinding(sqlite, to, nowMs);
    recordAudit(db, { action: 'keys.rotate', objectType: 'keys', detail: { ...counts, fromProfile: from.cryptoProfile, toProfile: to.cryptoProfile } }, nowMs);
    return counts;
  });
}

/** Re-seals the phones of star objections under `to` (inside the rotation's transaction). */
function resealObjectionPhones(sqlite: Sqlite, from: Secrets, to: Secrets): number {
  const rows = sqlite.prepare('SELECT id, phone_ciphertext AS sealed FROM star_objections').all() as { id: number; sealed: string }[];
  const update = sqlite.prepare('UPDATE star_objections SET phone_ciphertext = ? WHERE id = ?');
  for (const row of rows) update.run(encryptText(to, decryptText(from, row.sealed, objectionPhonePurpose), objectionPhonePurpose), row.id);
  return rows.length;
}

/** Opens every stored ID number and card token: proof that a key backup (or a restored pair) really fits the database. */
export function countUnreadable(db: Db, secrets: Secrets): { checked: number; unreadable: number } {
  const sqlite: Sqlite = db.$client;
  let checked = 0;
  let unreadable = 0;
  for (const table of ['members', 'elders'] as const) {
    for (const sealed of sqlite.prepare(`SELECT id_number_ciphertext FROM ${table}`).pluck().iterate() as Iterable<string>) {
      checked += 1;
      if (openStoredIdNumber(secrets, sealed) === undefined) unreadable += 1;
    }
  }
  for (const sealed of sqlite.prepare('SELECT card_token_ciphertext FROM members WHERE card_token_ciphertext IS NOT NULL').pluck().iterate() as Iterable<string>) {
    checked += 1;
    try {
      openCardToken(secrets, sealed);
    } catch {
      unreadable += 1;
    }
  }
  return { checked, unreadable };
}

function dated(nowMs: number): string {
  return new Date(nowMs).toISOString().replaceAll(':', '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Rotates the keys of DATA_DIR: the new secrets file is written and flushed as
 * secrets.json.new, the database switches in one transaction, then the old
 * file is kept as secrets.json.<UTC time>.bak and the new one renamed into
 * place. If the process dies between the commit and the rename, the next start
 * says to rename secrets.json.new (see keyring.ts); the old keys stay valid for
 * backups taken before the rotation.
 */
export function rotateKeys(db: Db, dataDirectory: string, options: { targetProfile?: CryptoProfile; environment?: NodeJS.ProcessEnv; nowMs: number }): RotationResult {
  const environment = options.environment ?? process.env;
  if (environment[dataKeyVariable] || environment[tokenKeyVariable]) {
    throw new KeyCheckError(`密钥来自环境变量 ${tokenKeyVariable}/${dataKeyVariable}，keys rotate 只轮换 secrets.json；请先改用 secrets.json 再轮换。`
      + ` / The keys come from ${tokenKeyVariable}/${dataKeyVariable}; keys rotate only rotates secrets.json: unset them (keeping their values in secrets.json) and run it again.`);
  }
  const from = unlockKeys(db, dataDirectory, { environment, nowMs: options.nowMs });
  const to = generateSecrets(options.targetProfile ?? from.cryptoProfile, pinKeysStillNeeded(db, from));
  const file = join(dataDirectory, secretsFileName);
  const pending = join(dataDirectory, pendingSecretsFileName);
  writeSecretFileDurably(pending, secretsFileContent(to));
  let counts: RotationCounts;
  try {
    counts = reencryptAll(db, from, to, options.nowMs);
  } catch (error) {
    rmSync(pending, { force: true });
    throw error;
  }
  let backupFile = join(dataDirectory, `${secretsFileName}.${dated(options.nowMs)}.bak`);
  for (let suffix = 2; existsSync(backupFile); suffix++) backupFile = join(dataDirectory, `${secretsFileName}.${dated(options.nowMs)}-${suffix}.bak`);
  linkSync(file, backupFile);
  renameSync(pending, file);
  const pins = countPinHashes(db, to);
  return { ...counts, cryptoProfile: to.cryptoProfile, backupFile, pinsToMove: pins.retired + pins.argon2id };
}
