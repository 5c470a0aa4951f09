import { createHash } from 'node:crypto';
import type { Db } from '../../db/client.ts';
import { checkpointAlgorithm, signText, verifyText, type CheckpointKeys } from '../../lib/checkpoint-key.ts';
import { addDays, shanghaiToUtcMs } from '../hours/time.ts';
import { verifiedRecordIds, verifiedServiceMinutes, type ServicePeriod } from '../hours/service-minutes.ts';
import type { IssuingOffice } from './offices.ts';

/**
 * What a certificate states, in the order it is signed. Everything printed on
 * the page comes from here, so the page, the hash and the signature can never
 * say different things. `recordIds` are the records behind the figures: the
 * verification re-derives the hours from them.
 */
export interface CertificateContent {
  version: 1;
  number: string;
  memberId: number;
  volunteer: { name: string; maskedIdNumber: string; volunteerNumber: string };
  /** Shanghai dates, inclusive; null for all time. */
  period: { from: string; to: string } | null;
  totalMinutes: number;
  byServiceType: { code: string; nameZh: string; nameEn: string; minutes: number }[];
  byUnit: { key: string; nameZh: string; nameEn: string; minutes: number }[];
  issuer: { countyCode: string; nameZh: string; nameEn: string };
  issuedOn: string;
  ledgerSeq: number;
  sealSha256: string | null;
  recordIds: number[];
}

export interface ContentInput {
  number: string;
  memberId: number;
  volunteer: CertificateContent['volunteer'];
  period: CertificateContent['period'];
  issuer: IssuingOffice;
  issuedOn: string;
  ledgerSeq: number;
  sealSha256: string | null;
}

/** The service period of a certificate as service start times, in the issuing county only. */
export function servicePeriodOf(period: CertificateContent['period'], countyCode: string): ServicePeriod {
  if (period === null) return { countyCode };
  return { countyCode, fromMs: shanghaiToUtcMs(period.from), toMs: shanghaiToUtcMs(addDays(period.to, 1)) };
}

export function certificateContent(db: Db, input: ContentInput): CertificateContent {
  const period = servicePeriodOf(input.period, input.issuer.countyCode);
  const minutes = verifiedServiceMinutes(db, input.memberId, period);
  return {
    version: 1,
    number: input.number,
    memberId: input.memberId,
    volunteer: input.volunteer,
    period: input.period,
    totalMinutes: minutes.totalMinutes,
    byServiceType: minutes.byServiceType.map((row) => ({ code: row.code, nameZh: row.nameZh, nameEn: row.nameEn, minutes: row.minutes })),
    byUnit: minutes.byUnit.map((row) => ({ key: row.key, nameZh: row.nameZh, nameEn: row.nameEn, minutes: row.minutes })),
    issuer: { countyCode: input.issuer.countyCode, nameZh: input.issuer.nameZh, nameEn: input.issuer.nameEn },
    issuedOn: input.issuedOn,
    ledgerSeq: input.ledgerSeq,
    sealSha256: input.sealSha256,
    recordIds: verifiedRecordIds(db, input.memberId, period),
  };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The text the network key signs: the number, the hash of the content and the ledger sequence at issuance. */
export function signedText(number: string, contentSha256: string, ledgerSeq: number): string {
  return `silver-hours certificate v1\n${number}\n${contentSha256}\n${ledgerSeq}`;
}

export interface SealedContent {
  content: string;
  contentSha256: string;
  algorithm: string;
  publicKey: string;
  signature: string;
}

export function sealContent(keys: CheckpointKeys, content: CertificateContent): SealedContent {
  const text = JSON.stringify(content);
  const contentSha256 = sha256Hex(text);
  return { content: text, contentSha256, algorithm: checkpointAlgorithm, publicKey: keys.publicKey, signature: signText(keys, signedText(content.number, contentSha256, content.ledgerSeq)) };
}

export interface StoredCertificate extends SealedContent {
  number: string;
  ledgerSeq: number;
}

/**
 * Whether a stored certificate is what the network signed: the content hashes
 * to the stored hash, the signature over (number, hash, ledger sequence)
 * verifies, the key is the network's (current or retired), and the content
 * names the same number and sequence as the row. Any edit of the row fails one of these.
 */
export function signatureHolds(keys: CheckpointKeys, stored: StoredCertificate): boolean {
  const trusted = stored.publicKey === keys.publicKey || keys.retiredPublicKeys.includes(stored.publicKey);
  if (!trusted || stored.algorithm !== checkpointAlgorithm || sha256Hex(stored.content) !== stored.contentSha256) return false;
  if (!verifyText(stored.publicKey, signedText(stored.number, stored.contentSha256, stored.ledgerSeq), stored.signature)) return false;
  const content = parseContent(stored.content);
  return content !== null && content.number === stored.number && content.ledgerSeq === stored.ledgerSeq;
}

export function parseContent(text: string): CertificateContent | null {
  try {
    const parsed = JSON.parse(text) as CertificateContent;
    return parsed && parsed.version === 1 && Array.isArray(parsed.recordIds) ? parsed : null;
  } catch {
    return null;
  }
}
