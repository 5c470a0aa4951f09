import { connectionOf, type Db } from '../../db/client.ts';
import type { CheckpointKeys } from '../../lib/checkpoint-key.ts';
import { maskName } from '../../lib/mask.ts';
import { ownsMember, type Actor } from '../access/authorize.ts';
import type { DomainContext } from '../kernel/context.ts';
import { failure, success, type Outcome } from '../kernel/outcome.ts';
import { standingMinutesOf } from '../hours/service-minutes.ts';
import { memberInScope } from '../people/members/access.ts';
import { parseContent, signatureHolds, type CertificateContent } from './content.ts';
import { isWellFormedCertificateNumber } from './numbers.ts';
import { issuesFor, issuingOffices, type IssuingOffice } from './offices.ts';
import { revocationStatus, revocationsOf, type RevocationStatus } from './revocations.ts';
import { sealOf } from './seals.ts';

interface CertificateRow {
  id: number;
  number: string;
  memberId: number;
  countyCode: string;
  content: string;
  contentSha256: string;
  ledgerSeq: number;
  algorithm: string;
  publicKey: string;
  signature: string;
  issuedAtMs: number;
  revokedReason: string | null;
  revokedAtMs: number | null;
}

const certificateColumns = `id, number, member_id AS memberId, county_code AS countyCode, content, content_sha256 AS contentSha256, ledger_seq AS ledgerSeq,
  algorithm, public_key AS publicKey, signature, issued_at_ms AS issuedAtMs, revoked_reason AS revokedReason, revoked_at_ms AS revokedAtMs`;

function certificateRow(db: Db, where: 'id' | 'number', value: number | string): CertificateRow | undefined {
  return connectionOf(db).prepare(`SELECT ${certificateColumns} FROM certificates WHERE ${where} = ?`).get(value) as CertificateRow | undefined;
}

export interface PrintableCertificate {
  id: number;
  content: CertificateContent;
  sealDataUrl: string | null;
  revokedReason: string | null;
  revokedAtMs: number | null;
  /** The issuing office is looking: it may revoke. */
  mayRevoke: boolean;
}

/**
 * The certificate's print page: for the member herself, the issuing county
 * office, and staff with the member in scope. Anyone else, another county's
 * office included, gets the answer a missing certificate gets.
 */
export function certificateForPrint(context: DomainContext, actor: Actor, certificateId: number): Outcome<PrintableCertificate> {
  const row = certificateRow(context.db, 'id', certificateId);
  const missing = failure(404, { code: 'records.error.certificate_not_found' });
  if (!row) return missing;
  const issuer = issuesFor(context.db, actor, row.countyCode);
  if (!issuer && !ownsMember(actor, row.memberId) && !memberInScope(context, actor, row.memberId).ok) return missing;
  const content = parseContent(row.content);
  if (!content) return missing;
  const seal = content.sealSha256 ? sealOf(context.db, row.countyCode, content.sealSha256) : null;
  // Revoked when the column or a revocation row says so: a cleared column never makes it look valid again.
  const revocation = revocationsOf(context.db, row.number)[0];
  const revoked = revocation ? { revokedReason: revocation.reason, revokedAtMs: revocation.revokedAtMs } : { revokedReason: row.revokedReason, revokedAtMs: row.revokedAtMs };
  return success({ id: row.id, content, sealDataUrl: seal?.dataUrl ?? null, ...revoked, mayRevoke: issuer });
}

export type VerifyState = 'valid' | 'revoked' | 'changed' | 'disputed' | 'invalid';

export interface VerifiedCertificate {
  number: string;
  state: VerifyState;
  /** Shown only when the signature holds. */
  content: CertificateContent | null;
  maskedName: string;
  /** From the signed revocation only (never from the certificate's column). */
  revokedReason: string | null;
  revokedAtMs: number | null;
  /** The revocation record cannot be taken at its word: a row whose signature fails, or a revoked column that disagrees with the signed rows. */
  revocationWarning: RevocationStatus['warning'];
  /** Re-derived from the records named in the certificate, now. */
  rederivedMinutes: number;
  /** Records behind it that no longer stand (reversed since issuance). */
  fallenRecords: number;
}

/**
 * The public verification of a certificate number: a malformed number or one
 * never issued answers 404. A stored row that no longer matches its hash or
 * signature is 'invalid' (签名不符) and its content is not shown. Otherwise
 * the figures are re-derived from the records: 'revoked' when a signed
 * revocation holds (revocations.ts; whatever the revoked column says),
 * 'disputed' when there is none but a revocation row fails its signature or
 * the revoked column says otherwise (never 有效), 'changed' when a record behind
 * it no longer stands (the office is told to review it), else 'valid'.
 */
export function verifyCertificate(db: Db, keys: CheckpointKeys, number: string): Outcome<VerifiedCertificate> {
  if (!isWellFormedCertificateNumber(number)) return failure(404, { code: 'records.error.certificate_not_found' });
  const row = certificateRow(db, 'number', number);
  if (!row) return failure(404, { code: 'records.error.certificate_not_found' });
  const revocation = revocationStatus(db, keys, row);
  const base = { number, revokedReason: revocation.signed?.reason ?? null, revokedAtMs: revocation.signed?.revokedAtMs ?? null, revocationWarning: revocation.warning };
  const content = signatureHolds(keys, row) ? parseContent(row.content) : null;
  if (!content) return success({ ...base, state: 'invalid', content: null, maskedName: '', rederivedMinutes: 0, fallenRecords: 0 });
  const standing = standingMinutesOf(db, content.memberId, content.recordIds);
  const changed = standing.fallen > 0 || standing.totalMinutes !== content.totalMinutes;
  const state: VerifyState = revocation.signed ? 'revoked' : revocation.warning ? 'disputed' : changed ? 'changed' : 'valid';
  return success({ ...base, state, content, maskedName: maskName(content.volunteer.name), rederivedMinutes: standing.totalMinutes, fallenRecords: standing.fallen });
}

export interface RequestListRow {
  id: number;
  memberId: number;
  name: string;
  volunteerNumber: string | null;
  villageName: string;
  fromDate: string | null;
  toDate: string | null;
  status: 'pending' | 'issued' | 'declined';
  requestedAtMs: number;
  declineReason: string | null;
  certificateId: number | null;
  certificateNumber: string | null;
  revokedAtMs: number | null;
  /** Issued and not revoked, but a record behind it was reversed since: revocation is suggested. */
  reviewSuggested: boolean;
}

const requestListSql = `SELECT q.id, q.member_id AS memberId, m.real_name AS name, m.volunteer_number AS volunteerNumber, r.name_zh AS villageName,
    q.from_date AS fromDate, q.to_date AS toDate, q.status, q.requested_at_ms AS requestedAtMs, q.decline_reason AS declineReason,
    c.id AS certificateId, c.number AS certificateNumber, COALESCE(rv.revoked_at_ms, c.revoked_at_ms) AS revokedAtMs, c.content AS content
  FROM certificate_requests q JOIN members m ON m.id = q.member_id JOIN regions r ON r.code = m.village_code
  LEFT JOIN certificates c ON c.request_id = q.id LEFT JOIN certificate_revocations rv ON rv.number = c.number`;

function listRows(db: Db, where: string, ...parameters: unknown[]): RequestListRow[] {
  const rows = connectionOf(db).prepare(`${requestListSql} WHERE ${where} ORDER BY q.status = 'pending' DESC, q.requested_at_ms DESC, q.id DESC LIMIT 200`)
    .all(...parameters) as (Omit<RequestListRow, 'reviewSuggested'> & { content: string | null })[];
  return rows.map(({ content, ...row }) => {
    const parsed = content && row.revokedAtMs === null ? parseContent(content) : null;
    const reviewSuggested = parsed !== null && standingMinutesOf(db, parsed.memberId, parsed.recordIds).fallen > 0;
    return { ...row, reviewSuggested };
  });
}

export interface CertificatesBoard {
  /** The member's own requests and certificates (a member sign-in). */
  own: RequestListRow[] | null;
  /** The county offices the actor issues for, with their requests and whether a seal is on file. */
  offices: (IssuingOffice & { requests: RequestListRow[]; sealUploadedAtMs: number | null })[];
}

export function certificatesBoard(context: DomainContext, actor: Actor): CertificatesBoard {
  const own = actor.memberId ? listRows(context.db, 'q.member_id = ?', actor.memberId) : null;
  const offices = issuingOffices(context.db, actor).map((office) => ({
    ...office,
    requests: listRows(context.db, 'q.county_code = ?', office.countyCode),
    sealUploadedAtMs: sealOf(context.db, office.countyCode)?.uploadedAtMs ?? null,
  }));
  return { own, offices };
}
