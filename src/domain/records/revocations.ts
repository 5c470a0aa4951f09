import { connectionOf, migrationsAppliedBy, type Db, type Sqlite } from '../../db/client.ts';
import { checkpointAlgorithm, signText, verifyText, type CheckpointKeys } from '../../lib/checkpoint-key.ts';
import { sha256Hex } from './content.ts';
import { writeTransaction } from '../kernel/transaction.ts';

/**
 * Revocations of certificates (docs/RECORDS.md "Revocation"): one signed,
 * append-only row per revoked certificate (table certificate_revocations, whose
 * triggers refuse UPDATE and DELETE). The signature, by the network key that
 * signs certificates, covers the certificate (number and content hash), the
 * reason, who and when: anyone who can write the database can neither take a
 * revocation back (the row stays) nor forge one (no key). `certificates.revoked_*`
 * is a copy for the lists; /verify warns when the two disagree.
 */
export interface RevocationRow {
  number: string;
  reason: string;
  revokedByUserId: number;
  revokedAtMs: number;
  algorithm: string;
  publicKey: string;
  signature: string;
}

/** The text the network key signs for a revocation. JSON, so a reason with a line break cannot shift the fields. */
export function revocationSignedText(certificateSha256: string, row: Pick<RevocationRow, 'number' | 'reason' | 'revokedByUserId' | 'revokedAtMs'>): string {
  return `silver-hours certificate revocation v1\n${JSON.stringify([row.number, certificateSha256, row.reason, row.revokedByUserId, row.revokedAtMs])}`;
}

/** Signs and stores the revocation of a certificate; the caller holds the write transaction. */
export function insertRevocation(sqlite: Sqlite, keys: CheckpointKeys, certificate: { id: number; number: string; contentSha256: string }, revocation: { reason: string; userId: number; atMs: number }): void {
  const fields = { number: certificate.number, reason: revocation.reason, revokedByUserId: revocation.userId, revokedAtMs: revocation.atMs };
  const signature = signText(keys, revocationSignedText(certificate.contentSha256, fields));
  sqlite.prepare(`INSERT INTO certificate_revocations (certificate_id, number, reason, revoked_by_user_id, revoked_at_ms, algorithm, public_key, signature)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(certificate.id, fields.number, fields.reason, fields.revokedByUserId, fields.revokedAtMs, checkpointAlgorithm, keys.publicKey, signature);
}

/**
 * The revocation rows of a certificate, found by its number: the number is
 * what both signatures cover (the certificate's and the revocation's), where a
 * row id could be changed by anyone who can write the database (moving a
 * revoked certificate to a new id must not leave its revocation behind).
 */
export function revocationsOf(db: Db, certificateNumber: string): RevocationRow[] {
  return connectionOf(db).prepare(`SELECT number, reason, revoked_by_user_id AS revokedByUserId, revoked_at_ms AS revokedAtMs, algorithm, public_key AS publicKey, signature
    FROM certificate_revocations WHERE number = ? ORDER BY id`).all(certificateNumber) as RevocationRow[];
}

/** Whether a revocation row is what the network signed for this certificate (a trusted key, current or retired). */
export function revocationHolds(keys: CheckpointKeys, certificate: { number: string; contentSha256: string }, row: RevocationRow): boolean {
  const trusted = row.publicKey === keys.publicKey || keys.retiredPublicKeys.includes(row.publicKey);
  if (!trusted || row.algorithm !== checkpointAlgorithm || row.number !== certificate.number) return false;
  return verifyText(row.publicKey, revocationSignedText(certificate.contentSha256, row), row.signature);
}

/** What the signed rows and the certificate's own revoked column say together. */
export interface RevocationStatus {
  /** The valid signed revocation, if any: the certificate is revoked. */
  signed: RevocationRow | null;
  /** Why the record cannot be taken at its word: a row whose signature fails, or a column that disagrees with the rows. */
  warning: 'bad_signature' | 'mismatch' | null;
}

export function revocationStatus(db: Db, keys: CheckpointKeys, certificate: { id: number; number: string; contentSha256: string; revokedAtMs: number | null }): RevocationStatus {
  const rows = revocationsOf(db, certificate.number);
  const holding = rows.filter((row) => revocationHolds(keys, certificate, row));
  const signed = holding[0] ?? null;
  if (holding.length < rows.length) return { signed, warning: 'bad_signature' };
  const columnRevoked = certificate.revokedAtMs !== null;
  return { signed, warning: columnRevoked !== (signed !== null) ? 'mismatch' : null };
}

/** The migration that created the signed rows: revocations made before it are signed when it is applied. */
const revocationsMigration = /_certificate_revocations$/;

/**
 * The migration of revocations made before certificate_revocations existed
 * (the revoked column only): each gets its signed row, in the start-up that
 * applies the migration (`migrationsAppliedBy`) and never afterwards. SQL cannot
 * do it (the key is outside the database), and no marker in the database
 * decides it: anyone who can write the database could clear a marker and have
 * the next start sign a revocation they wrote into the column. A column set
 * later is never signed; /verify warns about it instead. Answers how many it signed.
 */
export function signPastRevocations(db: Db, keys: CheckpointKeys): number {
  if (!migrationsAppliedBy(db).some((tag) => revocationsMigration.test(tag))) return 0;
  const sqlite = connectionOf(db);
  return writeTransaction(sqlite, () => {
    const past = sqlite.prepare(`SELECT c.id, c.number, c.content_sha256 AS contentSha256, c.revoked_reason AS reason,
        COALESCE(c.revoked_by_user_id, c.issued_by_user_id) AS userId, c.revoked_at_ms AS atMs
      FROM certificates c WHERE c.revoked_at_ms IS NOT NULL AND NOT EXISTS (SELECT 1 FROM certificate_revocations r WHERE r.number = c.number) ORDER BY c.id`)
      .all() as { id: number; number: string; contentSha256: string; reason: string | null; userId: number; atMs: number }[];
    for (const certificate of past) {
      insertRevocation(sqlite, keys, certificate, { reason: certificate.reason ?? '', userId: certificate.userId, atMs: certificate.atMs });
    }
    return past.length;
  });
}
