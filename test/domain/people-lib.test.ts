import t from 'tap';
import { randomBytes } from 'node:crypto';
import { decryptText, encryptText, lookupHash } from '../../src/lib/crypto.ts';
import { ageOn, checkCharacter, makeIdNumber, parseIdNumber, shanghaiDate } from '../../src/lib/idcard.ts';
import { maskIdNumber, maskName, maskPhone } from '../../src/lib/mask.ts';
import { namePinyin } from '../../src/lib/pinyin.ts';

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

t.test('encryption is authenticated and bound to its purpose; lookup hashes are keyed', async (t) => {
  const key = randomBytes(32);
  const sealed = encryptText(key, '430102195803071234', 'id-number');
  t.not(sealed, encryptText(key, '430102195803071234', 'id-number'), 'random IV: equal inputs give different ciphertexts');
  t.equal(decryptText(key, sealed, 'id-number'), '430102195803071234');
  t.throws(() => decryptText(key, sealed, 'card-token'), 'another purpose cannot open it');
  t.throws(() => decryptText(randomBytes(32), sealed, 'id-number'), 'another key cannot open it');
  const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BA' : 'AA');
  t.throws(() => decryptText(key, tampered, 'id-number'), 'tampering is detected');
  t.throws(() => encryptText(randomBytes(16), 'x'), 'a short key is refused');
  const hashKey = randomBytes(32);
  t.equal(lookupHash(hashKey, 'a', 'id'), lookupHash(hashKey, 'a', 'id'));
  t.not(lookupHash(hashKey, 'a', 'id'), lookupHash(randomBytes(32), 'a', 'id'));
});

t.test('pinyin keeps the surname reading and the plain one', async (t) => {
  t.same(namePinyin('单田芳'), { full: 'shantianfang dantianfang', initials: 'stf dtf' });
  t.same(namePinyin('张三'), { full: 'zhangsan', initials: 'zs' });
  t.same(namePinyin('吕布'), { full: 'lvbu lubu', initials: 'lb' });
});
