import t from 'tap';
import { generateCheckpointKeys, signText } from '../../../src/lib/checkpoint-key.ts';
import { sealContent, sha256Hex, signatureHolds, signedText, type CertificateContent } from '../../../src/domain/records/content.ts';
import { isWellFormedCertificateNumber, newCertificateNumber } from '../../../src/domain/records/numbers.ts';

const network = generateCheckpointKeys();
const number = newCertificateNumber('433123', '2026');
const content: CertificateContent = {
  version: 1, number, memberId: 7, volunteer: { name: '王秀英', maskedIdNumber: '433123********7983', volunteerNumber: 'YL43312300000014' },
  period: null, totalMinutes: 120, byServiceType: [{ code: 'visit', nameZh: '探访关爱', nameEn: 'Visiting', minutes: 120 }],
  byUnit: [{ key: 'office:433123', nameZh: '凤凰县老龄办', nameEn: 'Fenghuang', minutes: 120 }], issuer: { countyCode: '433123', nameZh: '凤凰县', nameEn: 'Fenghuang' },
  issuedOn: '2026-11-23', ledgerSeq: 42, sealSha256: null, recordIds: [3, 5],
};

t.test('certificate numbers: the shape and the check character', async (t) => {
  t.ok(isWellFormedCertificateNumber(number));
  t.match(number, /^ZM4331232026\d{8}[\dX]$/);
  const typo = number.slice(0, 14) + String((Number(number[14]) + 1) % 10) + number.slice(15);
  t.notOk(isWellFormedCertificateNumber(typo), 'a wrong digit is caught by the check character');
  t.notOk(isWellFormedCertificateNumber(number.toLowerCase()));
  t.notOk(isWellFormedCertificateNumber(`${number}0`));
});

t.test('the signature holds for the stored row and fails for any change, or a key that is not the network’s', async (t) => {
  const sealed = { ...sealContent(network, content), number, ledgerSeq: 42 };
  t.ok(signatureHolds(network, sealed));
  t.notOk(signatureHolds(network, { ...sealed, content: sealed.content.replace('"totalMinutes":120', '"totalMinutes":1200') }), 'content edited');
  const edited = sealed.content.replace('"totalMinutes":120', '"totalMinutes":1200');
  t.notOk(signatureHolds(network, { ...sealed, content: edited, contentSha256: sha256Hex(edited) }), 'content edited and its hash recomputed');
  t.notOk(signatureHolds(network, { ...sealed, ledgerSeq: 43 }), 'another ledger sequence');
  t.notOk(signatureHolds(network, { ...sealed, number: newCertificateNumber('433123', '2026') }), 'another number');
  const forger = generateCheckpointKeys();
  const forged = { ...sealContent(forger, content), number, ledgerSeq: 42 };
  t.notOk(signatureHolds(network, forged), 'signed by a key that is not the network’s');
  t.notOk(signatureHolds(network, { ...sealed, signature: signText(forger, signedText(number, sealed.contentSha256, 42)) }), 'the network key named, another key signed');
  const rotated = { ...network, publicKey: generateCheckpointKeys().publicKey, retiredPublicKeys: [network.publicKey] };
  t.ok(signatureHolds(rotated, sealed), 'after a key rotation the retired key still vouches for earlier certificates');
});
