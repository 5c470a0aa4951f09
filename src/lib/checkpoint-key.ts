import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { createSecretFileOnce, KeyCheckError, writeSecretFileDurably } from './secrets.ts';

/**
 * The network's checkpoint signing key (issue 17): Ed25519, kept beside the
 * other secrets in DATA_DIR (its own file, mode 0600, never in the database).
 * Ed25519 is used under both crypto profiles: this Node/OpenSSL can sign with
 * an EC key on the SM2 curve, but not with SM2's distinguishing identifier
 * (GB/T 32918 Z value) settable from Node, so SM2 signatures made here would
 * not verify in other SM2 tools; and the public verifier must run on any
 * stock Node. docs/TRANSPARENCY.md says so.
 *
 * `keys rotate` (rotateCheckpointKey) makes a new key and keeps the old
 * public keys, so checkpoints signed before still verify.
 */
export const checkpointKeyFileName = 'checkpoint-signing-key.json';
export const checkpointAlgorithm = 'ed25519';

export interface CheckpointKeys {
  readonly algorithm: typeof checkpointAlgorithm;
  readonly privateKey: KeyObject;
  /** The current public key: base64 of its SPKI DER (what checkpoints.json and the page show). */
  readonly publicKey: string;
  /** Public keys of earlier signing keys, oldest first. */
  readonly retiredPublicKeys: readonly string[];
}

interface StoredKeys {
  privateKey: string;
  retiredPublicKeys: string[];
}

function publicKeyText(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).toString('base64');
}

function fromStored(stored: StoredKeys): CheckpointKeys {
  const privateKey = createPrivateKey({ key: Buffer.from(stored.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
  return Object.freeze({ algorithm: checkpointAlgorithm, privateKey, publicKey: publicKeyText(privateKey), retiredPublicKeys: Object.freeze([...stored.retiredPublicKeys]) });
}

function freshStored(retiredPublicKeys: string[] = []): StoredKeys {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'), retiredPublicKeys };
}

/** A fresh key pair held only in memory (tests, and an app built without a data directory). */
export function generateCheckpointKeys(): CheckpointKeys {
  return fromStored(freshStored());
}

function readStored(file: string): StoredKeys {
  let stored: Partial<StoredKeys> | undefined;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredKeys>;
  } catch {
    stored = undefined;
  }
  if (typeof stored?.privateKey !== 'string' || !Array.isArray(stored.retiredPublicKeys)) {
    throw new KeyCheckError(`签名密钥文件 ${file} 已损坏：请从备份恢复该文件。 / ${file} is damaged: restore it from your backup.`);
  }
  return { privateKey: stored.privateKey, retiredPublicKeys: stored.retiredPublicKeys.filter((key): key is string => typeof key === 'string') };
}

/**
 * Loads DATA_DIR's checkpoint key, creating it when missing (nothing is
 * encrypted under it, so a new one loses nothing: earlier signatures carry
 * their own public key). Created through a private temporary file and a hard
 * link, as the secrets file is, so a reader never sees half a file.
 */
export function loadCheckpointKeys(dataDirectory: string): CheckpointKeys {
  mkdirSync(dataDirectory, { recursive: true });
  const file = join(dataDirectory, checkpointKeyFileName);
  if (!existsSync(file)) createSecretFileOnce(file, JSON.stringify(freshStored()) + '\n');
  return fromStored(readStored(file));
}

/** A new signing key; the old public key joins the retired ones. Answers the new keys. */
export function rotateCheckpointKeys(dataDirectory: string): CheckpointKeys {
  const current = loadCheckpointKeys(dataDirectory);
  const file = join(dataDirectory, checkpointKeyFileName);
  const next = freshStored([...current.retiredPublicKeys, current.publicKey]);
  const temporary = `${file}.${process.pid}.tmp`;
  writeSecretFileDurably(temporary, JSON.stringify(next) + '\n');
  // rename is atomic: the file is either the old keys or the new ones.
  renameSync(temporary, file);
  return fromStored(next);
}

/** Signs text (UTF-8) with the current key: base64 signature. */
export function signText(keys: CheckpointKeys, text: string): string {
  return sign(null, Buffer.from(text, 'utf8'), keys.privateKey).toString('base64');
}

/** Checks a signature against a public key given as base64 SPKI DER. */
export function verifyText(publicKey: string, text: string, signature: string): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
    return verify(null, Buffer.from(text, 'utf8'), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
