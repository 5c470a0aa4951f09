import { connectionOf, type Sqlite } from '../../db/client.ts';
import { notify } from '../messages/notify.ts';
import type { CheckpointKeys } from '../../lib/checkpoint-key.ts';
import { maskIdNumber } from '../../lib/mask.ts';
import { Ledger } from '../../ledger/index.ts';
import type { Actor } from '../access/authorize.ts';
import { audit } from '../audit/audit.ts';
import { nowOf, type DomainContext } from '../kernel/context.ts';
import { failure, success, type Outcome } from '../kernel/outcome.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { shanghaiDateOf } from '../hours/time.ts';
import { openIdNumber } from '../people/members/identity.ts';
import { certificateContent, sealContent } from './content.ts';
import { newCertificateNumber } from './numbers.ts';
import { issuesFor, issuingOffices, officeOf } from './offices.ts';
import { findRequest, type PendingRequestRow } from './requests.ts';
import { insertRevocation } from './revocations.ts';
import { sealOf } from './seals.ts';

/** A reason typed by the office (declining, revoking): required, at most 200 characters. */
function checkedReason(reason: string | null | undefined): { reason: string } | { code: string; params?: Record<string, number> } {
  const trimmed = (reason ?? '').trim();
  if (trimmed.length === 0) return { code: 'records.error.reason_required' };
  if (trimmed.length > 200) return { code: 'records.error.reason_too_long', params: { max: 200 } };
  return { reason: trimmed };
}

/** A pending request the actor's office decides; another county's request answers like a missing one. */
function pendingRequestFor(context: DomainContext, actor: Actor, requestId: number): Outcome<PendingRequestRow> {
  if (issuingOffices(context.db, actor).length === 0) return failure(403, { code: 'records.error.not_issuing_office' });
  const request = findRequest(context, requestId);
  if (!request || !issuesFor(context.db, actor, request.countyCode)) return failure(404, { code: 'records.error.request_not_found' });
  if (request.status !== 'pending') return failure(409, { code: 'records.error.request_decided' });
  return success(request);
}

function volunteerOf(context: DomainContext, memberId: number): { name: string; maskedIdNumber: string; volunteerNumber: string; villageCode: string } {
  const row = connectionOf(context.db).prepare('SELECT real_name AS name, id_number_ciphertext AS cipher, volunteer_number AS volunteerNumber, village_code AS villageCode FROM members WHERE id = ?')
    .get(memberId) as { name: string; cipher: string; volunteerNumber: string | null; villageCode: string };
  return { name: row.name, maskedIdNumber: maskIdNumber(openIdNumber(context.keys, row.cipher)), volunteerNumber: row.volunteerNumber ?? '', villageCode: row.villageCode };
}

function unusedNumber(sqlite: Sqlite, countyCode: string, year: string): string {
  const taken = sqlite.prepare('SELECT 1 FROM certificates WHERE number = ?');
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const number = newCertificateNumber(countyCode, year);
    if (!taken.get(number)) return number;
  }
  throw new Error(`no free certificate number for ${countyCode} ${year}`);
}

/**
 * The office issues the certificate a member asked for: the figures are
 * derived from the records in the same write transaction that stores them,
 * with the ledger's sequence at that moment, signed with the network key. A
 * request with no verified hours in the county is refused (decline it instead).
 */
export function issueCertificate(context: DomainContext, keys: CheckpointKeys, actor: Actor, requestId: number): Outcome<{ certificateId: number; number: string }> {
  const sqlite = connectionOf(context.db);
  return writeTransaction(sqlite, () => {
    const request = pendingRequestFor(context, actor, requestId);
    if (!request.ok) return request;
    const at = nowOf(context);
    const volunteer = volunteerOf(context, request.value.memberId);
    const number = unusedNumber(sqlite, request.value.countyCode, shanghaiDateOf(at).slice(0, 4));
    const period = request.value.fromDate && request.value.toDate ? { from: request.value.fromDate, to: request.value.toDate } : null;
    const content = certificateContent(context.db, {
      number, memberId: request.value.memberId, period, issuer: officeOf(context.db, request.value.countyCode), issuedOn: shanghaiDateOf(at),
      volunteer: { name: volunteer.name, maskedIdNumber: volunteer.maskedIdNumber, volunteerNumber: volunteer.volunteerNumber },
      ledgerSeq: new Ledger(sqlite).head().seq, sealSha256: sealOf(context.db, request.value.countyCode)?.sha256 ?? null,
    });
    if (content.totalMinutes === 0) return failure<{ certificateId: number; number: string }>(409, { code: 'records.error.no_hours' });
    const sealed = sealContent(keys, content);
    const certificateId = Number(sqlite.prepare(`INSERT INTO certificates (number, request_id, member_id, county_code, content, content_sha256, ledger_seq, algorithm, public_key, signature,
        issued_by_user_id, issued_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(number, requestId, request.value.memberId, request.value.countyCode, sealed.content,
      sealed.contentSha256, content.ledgerSeq, sealed.algorithm, sealed.publicKey, sealed.signature, actor.userId, at).lastInsertRowid);
    sqlite.prepare("UPDATE certificate_requests SET status = 'issued', decided_by_user_id = ?, decided_at_ms = ? WHERE id = ?").run(actor.userId, at, requestId);
    audit(context, actor, 'certificate.issue', 'certificate', certificateId, volunteer.villageCode, { number, requestId, totalMinutes: content.totalMinutes, ledgerSeq: content.ledgerSeq });
    notify(context, { kind: 'certificate_issued', to: { memberId: request.value.memberId }, params: { certificateId, number } });
    return success({ certificateId, number });
  });
}

export function declineRequest(context: DomainContext, actor: Actor, requestId: number, reasonText: string | null | undefined): Outcome<{ requestId: number }> {
  const sqlite = connectionOf(context.db);
  return writeTransaction(sqlite, () => {
    const request = pendingRequestFor(context, actor, requestId);
    if (!request.ok) return request;
    const reason = checkedReason(reasonText);
    if ('code' in reason) return failure<{ requestId: number }>(422, { code: reason.code, field: 'reason', ...(reason.params ? { params: reason.params } : {}) });
    const at = nowOf(context);
    sqlite.prepare("UPDATE certificate_requests SET status = 'declined', decided_by_user_id = ?, decided_at_ms = ?, decline_reason = ? WHERE id = ?").run(actor.userId, at, reason.reason, requestId);
    audit(context, actor, 'certificate.decline', 'certificate_request', requestId, request.value.countyCode, { reason: reason.reason });
    return success({ requestId });
  });
}

/**
 * The issuing office revokes a certificate with a reason: a signed, append-only
 * row (revocations.ts) is the revocation; the row of the certificate keeps its
 * content and gets a copy of the reason for the lists. /verify shows 已撤销.
 */
export function revokeCertificate(context: DomainContext, keys: CheckpointKeys, actor: Actor, certificateId: number, reasonText: string | null | undefined): Outcome<{ number: string }> {
  const sqlite = connectionOf(context.db);
  return writeTransaction(sqlite, () => {
    const row = sqlite.prepare(`SELECT id, number, county_code AS countyCode, content_sha256 AS contentSha256, revoked_at_ms AS revokedAtMs,
      EXISTS (SELECT 1 FROM certificate_revocations r WHERE r.number = certificates.number) AS signed FROM certificates WHERE id = ?`).get(certificateId) as
      { id: number; number: string; countyCode: string; contentSha256: string; revokedAtMs: number | null; signed: number } | undefined;
    if (issuingOffices(context.db, actor).length === 0) return failure<{ number: string }>(403, { code: 'records.error.not_issuing_office' });
    if (!row || !issuesFor(context.db, actor, row.countyCode)) return failure<{ number: string }>(404, { code: 'records.error.certificate_not_found' });
    if (row.revokedAtMs !== null || row.signed === 1) return failure<{ number: string }>(409, { code: 'records.error.already_revoked' });
    const reason = checkedReason(reasonText);
    if ('code' in reason) return failure<{ number: string }>(422, { code: reason.code, field: 'reason', ...(reason.params ? { params: reason.params } : {}) });
    const at = nowOf(context);
    insertRevocation(sqlite, keys, row, { reason: reason.reason, userId: actor.userId, atMs: at });
    sqlite.prepare('UPDATE certificates SET revoked_reason = ?, revoked_by_user_id = ?, revoked_at_ms = ? WHERE id = ?').run(reason.reason, actor.userId, at, certificateId);
    audit(context, actor, 'certificate.revoke', 'certificate', certificateId, row.countyCode, { number: row.number, reason: reason.reason });
    return success({ number: row.number });
  });
}
