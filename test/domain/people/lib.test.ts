import t from 'tap';
import { randomBytes } from 'node:crypto';
import { cryptoProfiles, decryptBytes, decryptText, encryptBytes, encryptText, lookupHash, type PeopleKeys } from '../../../src/lib/crypto.ts';
import { ageOn, checkCharacter, makeIdNumber, parseIdNumber, shanghaiDate } from '../../../src/lib/idcard.ts';
import { maskIdNumber, maskName, maskPhone } from '../../../src/lib/mask.ts';
import { namePinyin } from '../../../src/lib/pinyin.ts';

t.test('ID numbers: GB 11643 check character, birth date, gender', async (t) => {
  // The standard's worked example: 11010519491231002X (female, 1949-12-31).
  const example = parseIdNumber('11010519491231002x', '2026-11-23');
  t.same(example, { ok: true, info: { number: '11010519491231002X', birthDate: '1949-12-31', gender: 'female', addressCode: '110105' } });
  t.equal(checkCharacter('11010519491231002'), 'X');
  t.same(parseIdNumber('110105194912310021', '2026-11-23'), { ok: false, problem: 'id_check_digit' });
  t.same(parseIdNumber(makeIdNumber('433123', '2026-11-24', 1), '2026-11-23'), { ok: false, problem: 'id_birth_date_future' });
  t.ok(parseIdNumber(makeIdNumber('433123', '2026-11-23', 1), '2026-11-23').ok, 'born today is not in the future');
  t.same(parseIdNumber(makeIdNumber('433123', '1957-02-29', 1), '2026-11-23'), { ok: false, problem: 'id_birth_date_invalid' });
  t.ok(parseIdNumber(makeIdNumber('433123', '1956-02-29', 1), '2026-11-23').ok, 'leap day of a leap year');
  t.same(parseIdNumber('43312319580307', '2026-11-23'), { ok: false, problem: 'id_format' });
  t.same(parseIdNumber('4331231958030701X1', '2026-11-23'), { ok: false, problem: 'id_format' });
  t.equal((parseIdNumber(makeIdNumber('433123', '1960-01-01', 12), '2026-01-01') as { info: { gender: string } }).info.gender, 'female');
  t.equal(ageOn('1958-03-07', '2026-03-06'), 67);
  t.equal(ageOn('1958-03-07', '2026-03-07'), 68);
  t.equal(shanghaiDate(Date.UTC(2026, 10, 23, 16, 30)), '2026-11-24', 'after 16:00 UTC it is tomorrow in Shanghai');
});

t.test('masks', async (t) => {
  t.equal(maskIdNumber('430102195803071234'), '430102********1234');
  t.equal(maskPhone('13812341234'), '138****1234');
  t.equal(maskPhone(null), '');
  t.equal(maskName('张三'), '张*');
  t.equal(maskName('张三丰'), '张*丰');
  t.equal(maskName('欧阳娜娜'), '欧**娜');
});

for (const cryptoProfile of cryptoProfiles) {
  t.test(`${cryptoProfile}: encryption is authenticated and bound to its purpose; lookup hashes are keyed`, async (t) => {
    const keys: PeopleKeys = { dataEncryptionKey: randomBytes(32), dataHashingKey: randomBytes(32), cryptoProfile };
    const other: PeopleKeys = { dataEncryptionKey: randomBytes(32), dataHashingKey: randomBytes(32), cryptoProfile };
    const sealed = encryptText(keys, '430102195803071234', 'id-number');
    t.match(sealed, cryptoProfile === 'guomi' ? /^g1\./ : /^v1\./, 'the format names the profile');
    t.not(sealed, encryptText(keys, '430102195803071234', 'id-number'), 'random IV: equal inputs give different ciphertexts');
    t.equal(decryptText(keys, sealed, 'id-number'), '430102195803071234');
    t.throws(() => decryptText(keys, sealed, 'card-token'), 'another purpose cannot open it');
    t.throws(() => decryptText(other, sealed, 'id-number'), 'another key cannot open it');
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BA' : 'AA');
    t.throws(() => decryptText(keys, tampered, 'id-number'), 'tampering is detected');
    const flippedFirstByte = Buffer.from(sealed.slice(3), 'base64url');
    flippedFirstByte[flippedFirstByte.length - 1]! ^= 1;
    t.throws(() => decryptText(keys, sealed.slice(0, 3) + flippedFirstByte.toString('base64url'), 'id-number'), 'a flipped ciphertext bit is detected');
    t.throws(() => encryptText({ ...keys, dataEncryptionKey: randomBytes(16) }, 'x'), 'a short key is refused');
    const file = randomBytes(1000);
    t.same(decryptBytes(keys, encryptBytes(keys, file, 'import-file'), 'import-file'), file, 'bytes round-trip');
    t.equal(lookupHash(keys, 'a', 'id'), lookupHash(keys, 'a', 'id'));
    t.not(lookupHash(keys, 'a', 'id'), lookupHash(other, 'a', 'id'));
    t.not(lookupHash(keys, 'a', 'id'), lookupHash(keys, 'a', 'phone'), 'the purpose is part of the hash');
  });
}

t.test('a ciphertext of one profile does not open under the other', async (t) => {
  const dataEncryptionKey = randomBytes(32);
  const dataHashingKey = randomBytes(32);
  const international = encryptText({ dataEncryptionKey, dataHashingKey, cryptoProfile: 'international' }, 'x', 'id-number');
  t.throws(() => decryptText({ dataEncryptionKey, dataHashingKey, cryptoProfile: 'guomi' }, international, 'id-number'), /guomi/);
  t.not(
    lookupHash({ dataEncryptionKey, dataHashingKey, cryptoProfile: 'international' }, 'a', 'id'),
    lookupHash({ dataEncryptionKey, dataHashingKey, cryptoProfile: 'guomi' }, 'a', 'id'),
    'HMAC-SM3 and HMAC-SHA-256 differ',
  );
});

t.test('pinyin keeps the surname reading and the plain one', async (t) => {
  t.same(namePinyin('单田芳'), { full: 'shantianfang dantianfang', initials: 'stf dtf' });
  t.same(namePinyin('张三'), { full: 'zhangsan', initials: 'zs' });
  t.same(namePinyin('吕布'), { full: 'lvbu lubu', initials: 'lb' });
});
