import { createHash } from 'node:crypto';
import { connectionOf, type Db } from '../../db/client.ts';
import type { Actor } from '../access/authorize.ts';
import { audit } from '../audit/audit.ts';
import { nowOf, type DomainContext } from '../kernel/context.ts';
import { failure, success, type Outcome } from '../kernel/outcome.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { issuingOffices } from './offices.ts';

/** A seal image is a small scan: 300 KB is plenty for a 4 cm seal at print resolution. */
export const maximumSealBytes = 300 * 1024;

type SealMediaType = 'image/png' | 'image/jpeg';

/** The image type from the file's first bytes (never from its name or the browser's word for it). */
export function sealMediaType(data: Buffer): SealMediaType | null {
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  return null;
}

export interface SealUpload {
  countyCode?: string | null;
  data: Buffer;
  /** The upload was cut at the parser's limit. */
  truncated?: boolean;
}

/**
 * The county office uploads (or replaces) its seal; earlier seals are kept for the certificates issued with them. Only an ageing office at
 * county level, for its own county; PNG or JPEG by content, at most
 * `maximumSealBytes`. Stored in the database (backed up with it), audited with its hash.
 */
export function uploadSeal(context: DomainContext, actor: Actor, upload: SealUpload): Outcome<{ countyCode: string; sha256: string }> {
  const offices = issuingOffices(context.db, actor);
  if (offices.length === 0) return failure(403, { code: 'records.error.not_issuing_office' });
  const office = upload.countyCode ? offices.find((candidate) => candidate.countyCode === upload.countyCode) : offices[0];
  if (!office) return failure(404, { code: 'records.error.office_not_found' });
  if (upload.data.length === 0) return failure(422, { code: 'records.error.seal_required', field: 'seal' });
  if (upload.truncated || upload.data.length > maximumSealBytes) return failure(422, { code: 'records.error.seal_too_large', field: 'seal', params: { kilobytes: maximumSealBytes / 1024 } });
  const mediaType = sealMediaType(upload.data);
  if (!mediaType) return failure(422, { code: 'records.error.seal_not_image', field: 'seal' });
  const sha256 = createHash('sha256').update(upload.data).digest('hex');
  const at = nowOf(context);
  writeTransaction(connectionOf(context.db), (sqlite) => {
    sqlite.prepare(`INSERT INTO certificate_seals (county_code, media_type, image, sha256, uploaded_by_user_id, uploaded_at_ms) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (county_code, sha256) DO UPDATE SET uploaded_by_user_id = excluded.uploaded_by_user_id, uploaded_at_ms = excluded.uploaded_at_ms`).run(office.countyCode, mediaType, upload.data, sha256, actor.userId, at);
    audit(context, actor, 'certificate.seal_upload', 'certificate_seal', office.countyCode, office.countyCode, { sha256, bytes: upload.data.length, mediaType });
  });
  return success({ countyCode: office.countyCode, sha256 });
}

export interface SealImage {
  mediaType: SealMediaType;
  sha256: string;
  /** A data: URL for the printed page (the CSP allows data: images). */
  dataUrl: string;
  uploadedAtMs: number;
}

/** The county's current seal, or (with `sha256`) the one a certificate was issued with. */
export function sealOf(db: Db, countyCode: string, sha256?: string): SealImage | null {
  const row = connectionOf(db).prepare(`SELECT media_type AS mediaType, image, sha256, uploaded_at_ms AS uploadedAtMs FROM certificate_seals
      WHERE county_code = @county AND (@sha IS NULL OR sha256 = @sha) ORDER BY uploaded_at_ms DESC, id DESC LIMIT 1`)
    .get({ county: countyCode, sha: sha256 ?? null }) as { mediaType: SealMediaType; image: Buffer; sha256: string; uploadedAtMs: number } | undefined;
  if (!row) return null;
  return { mediaType: row.mediaType, sha256: row.sha256, uploadedAtMs: row.uploadedAtMs, dataUrl: `data:${row.mediaType};base64,${row.image.toString('base64')}` };
}
