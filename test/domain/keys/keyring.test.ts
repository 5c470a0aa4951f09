import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { hasKeyedData, readKeyBinding, unlockKeys } from '../../../src/domain/keys/keyring.ts';
import { countPinHashes, countUnreadable, reencryptAll, rotateKeys } from '../../../src/domain/keys/rotate.ts';
import { openIdNumber } from '../../../src/domain/people/members/identity.ts';
import { hashPin } from '../../../src/domain/people/members/pin-hash.ts';
import { setMemberPin, verifyMemberPin } from '../../../src/domain/people/members/pin.ts';
import { registerMember } from '../../../src/domain/people/members/register.ts';
import { KeyCheckError, generateSecrets, keyFingerprint, loadSecrets, secretsFileContent, type Secrets } from '../../../src/lib/secrets.ts';
import { testCryptoProfile } from '../../helpers/crypto-profile.ts';
import { peopleFixture, villages } from '../people/fixture.ts';
import { decryptText, encryptText } from '../../../src/lib/crypto.ts';
import { objectionPhonePurpose } from '../../../src/domain/stars/objections.ts';

const profile = testCryptoProfile();

function directory(t: Test): string {
  const path = mkdtempSync(join(tmpdir(), 'silver-keyring-'));
  t.teardown(() => rmSync(path, { recursive: true, force: true }));
  return path;
}

/** A people fixture whose one member was registered under `keys`, before any key binding was recorded. */
function fixtureWithMember(keys: Secrets) {
  const fixture = peopleFixture();
  const context = { ...fixture.context, keys };
  const result = registerMember(context, fixture.coordinatorA, { realName: '张三', phone: null, idNumber: fixture.idNumber(1), villageCode: villages.hongqi });
  if (!result.ok) throw new Error(JSON.stringify(result));
  return { ...fixture, context, memberId: result.value.memberId };
}

t.test('loadSecrets refuses to generate when told not to, and writes nothing', async (t) => {
  const dataDirectory = directory(t);
  t.throws(() => loadSecrets(dataDirectory, {}, { mayGenerate: false }), KeyCheckError);
  t.notOk(existsSync(join(dataDirectory, 'secrets.json')));
});

t.test('a database from before fingerprints is bound to keys that open its data, and only to those', async (t) => {
  const dataDirectory = directory(t);
  const keys = loadSecrets(dataDirectory, {}, { cryptoProfile: 'international' });
  const right = fixtureWithMember(keys);
  t.ok(hasKeyedData(right.db.$client));
  t.same(readKeyBinding(right.db.$client), { profile: undefined, fingerprint: undefined }, 'no binding yet');
  const unlocked = unlockKeys(right.db, dataDirectory, { environment: {} });
  t.same(unlocked.dataEncryptionKey, keys.dataEncryptionKey);
  t.same(readKeyBinding(right.db.$client), { profile: 'international', fingerprint: keyFingerprint(keys) }, 'adopted: profile and fingerprint recorded');

  const wrong = fixtureWithMember(generateSecrets('international'));
  t.throws(() => unlockKeys(wrong.db, dataDirectory, { environment: {} }), { name: 'KeyCheckError', message: /不符.*not the ones/ }, 'keys that cannot open the oldest ID number are refused');
  t.same(readKeyBinding(wrong.db.$client), { profile: undefined, fingerprint: undefined }, 'and nothing is recorded');
  t.throws(() => unlockKeys(right.db, dataDirectory, { environment: {}, requestedProfile: 'guomi' }), { name: 'KeyCheckError', message: /使用 international 方案，而 CRYPTO_PROFILE=guomi/ });
});

t.test('an interrupted rotation is named: rename secrets.json.new', async (t) => {
  const dataDirectory = directory(t);
  const fixture = peopleFixture();
  const old = unlockKeys(fixture.db, dataDirectory, { environment: {}, requestedProfile: profile });
  const context = { ...fixture.context, keys: old };
  registerMember(context, fixture.coordinatorA, { realName: '张三', phone: null, idNumber: fixture.idNumber(1), villageCode: villages.hongqi });
  const next = generateSecrets(profile);
  writeFileSync(join(dataDirectory, 'secrets.json.new'), secretsFileContent(next), { mode: 0o600 });
  reencryptAll(fixture.db, old, next, fixture.clock.ms); // ... and the process dies before the rename.
  t.throws(() => unlockKeys(fixture.db, dataDirectory, { environment: {} }), { message: /密钥轮换未完成.*rename it to/ });
});

t.test('a database restored from before a rotation names the dated keys that open it', async (t) => {
  const dataDirectory = directory(t);
  const fixture = peopleFixture();
  const old = unlockKeys(fixture.db, dataDirectory, { environment: {}, requestedProfile: profile });
  registerMember({ ...fixture.context, keys: old }, fixture.coordinatorA, { realName: '张三', phone: null, idNumber: fixture.idNumber(1), villageCode: villages.hongqi });
  // The operator rotated (old keys kept as a dated .bak), then restored a database backup from before it.
  writeFileSync(join(dataDirectory, 'secrets.json.20261201T020000Z.bak'), readFileSync(join(dataDirectory, 'secrets.json')), { mode: 0o600 });
  writeFileSync(join(dataDirectory, 'secrets.json'), secretsFileContent(generateSecrets(profile)), { mode: 0o600 });
  t.throws(() => unlockKeys(fixture.db, dataDirectory, { environment: {} }), { message: /secrets\.json\.20261201T020000Z\.bak are \(a backup from before a rotation\?\): copy it to/ });
});

t.test('a rotation that cannot open a row changes nothing', async (t) => {
  const dataDirectory = directory(t);
  const fixture = peopleFixture();
  const old = unlockKeys(fixture.db, dataDirectory, { environment: {}, requestedProfile: profile });
  const context = { ...fixture.context, keys: old };
  for (const sequence of [1, 2]) registerMember(context, fixture.coordinatorA, { realName: '张三', phone: null, idNumber: fixture.idNumber(sequence), villageCode: villages.hongqi });
  const sqlite = fixture.db.$client;
  const damaged = sqlite.prepare('SELECT id FROM members ORDER BY id DESC LIMIT 1').pluck().get() as number;
  sqlite.prepare('UPDATE members SET id_number_ciphertext = ? WHERE id = ?').run(profile === 'guomi' ? 'g1.AAAA' : 'v1.AAAA', damaged);
  const before = sqlite.prepare('SELECT id, id_number_ciphertext, id_number_hmac FROM members ORDER BY id').all();
  const secretsBefore = readFileSync(join(dataDirectory, 'secrets.json'), 'utf8');
  t.throws(() => rotateKeys(fixture.db, dataDirectory, { environment: {}, nowMs: fixture.clock.ms }), { name: 'KeyCheckError', message: `members row ${damaged}` });
  t.same(sqlite.prepare('SELECT id, id_number_ciphertext, id_number_hmac FROM members ORDER BY id').all(), before, 'no row changed');
  t.equal(readFileSync(join(dataDirectory, 'secrets.json'), 'utf8'), secretsBefore, 'secrets.json unchanged');
  t.notOk(existsSync(join(dataDirectory, 'secrets.json.new')), 'the pending file is removed');
  t.equal(readKeyBinding(sqlite).fingerprint, keyFingerprint(old), 'the binding still names the old keys');
  t.same(countUnreadable(fixture.db, old), { checked: 4, unreadable: 1 }, 'keys check counts the one ID number that does not open (2 ID numbers, 2 card tokens)');
});

t.test('rotation re-keys lookups so the duplicate check still finds the member', async (t) => {
  const dataDirectory = directory(t);
  const fixture = peopleFixture();
  const old = unlockKeys(fixture.db, dataDirectory, { environment: {}, requestedProfile: profile });
  const registered = registerMember({ ...fixture.context, keys: old }, fixture.coordinatorA, { realName: '张三', phone: null, idNumber: fixture.idNumber(1), villageCode: villages.hongqi });
  if (!registered.ok) return t.fail('registered');
  t.throws(() => rotateKeys(fixture.db, dataDirectory, { environment: { SILVER_HOURS_DATA_KEY: 'x' }, nowMs: fixture.clock.ms }), { message: /environment|环境变量/ }, 'keys from the environment are not rotated here');
  const result = rotateKeys(fixture.db, dataDirectory, { environment: {}, nowMs: fixture.clock.ms });
  t.match(result, { idNumbers: 1, cardTokens: 1, importFiles: 0, cryptoProfile: profile });
  const next = unlockKeys(fixture.db, dataDirectory, { environment: {} });
  t.notSame(next.dataEncryptionKey, old.dataEncryptionKey);
  const sealed = fixture.db.$client.prepare('SELECT id_number_ciphertext FROM members WHERE id = ?').pluck().get(registered.value.memberId) as string;
  t.equal(openIdNumber(next, sealed), fixture.idNumber(1), 'the ID number opens under the new keys');
  t.throws(() => openIdNumber(old, sealed), 'and no longer under the old ones');
  const again = registerMember({ ...fixture.context, keys: next }, fixture.coordinatorA, { realName: '李四', phone: null, idNumber: fixture.idNumber(1), villageCode: villages.hongqi });
  t.match(again, { ok: false, problems: [{ code: 'people.error.duplicate_id_number' }] });
  const audit = fixture.db.$client.prepare("SELECT detail FROM audit_log WHERE action = 'keys.rotate'").pluck().all() as string[];
  t.equal(audit.length, 1, 'the rotation is in the audit log');
});

t.test('rotation gives PINs a new key: old PIN hashes still verify, move to the new key on their next use, and the old key is dropped once unused', async (t) => {
  const dataDirectory = directory(t);
  const fixture = peopleFixture();
  const old = unlockKeys(fixture.db, dataDirectory, { environment: {}, requestedProfile: profile });
  const context = { ...fixture.context, keys: old };
  const memberIds = [1, 2].map((sequence) => {
    const registered = registerMember(context, fixture.coordinatorA, { realName: '张三', phone: null, idNumber: fixture.idNumber(sequence), villageCode: villages.hongqi });
    if (!registered.ok) throw new Error('registered');
    return registered.value.memberId;
  });
  for (const memberId of memberIds) t.ok((await setMemberPin(context, fixture.coordinatorA, memberId, '246810')).ok);
  const pinHash = (memberId: number) => fixture.db.$client.prepare('SELECT pin_hash FROM members WHERE id = ?').pluck().get(memberId) as string;
  const oldHashes = memberIds.map(pinHash);
  t.equal(oldHashes[0], hashPin(old, memberIds[0]!, '246810'), 'stored as the HMAC under the PIN key of secrets.json');
  t.notOk(oldHashes.some((stored) => stored.includes('246810')), 'the PIN itself is not stored');

  const rotated = rotateKeys(fixture.db, dataDirectory, { environment: {}, nowMs: fixture.clock.ms });
  t.equal(rotated.pinsToMove, 2, 'the rotation says two PINs will move on their next use');
  const next = unlockKeys(fixture.db, dataDirectory, { environment: {} });
  t.notSame(next.pinKey, old.pinKey, 'a new PIN key');
  t.same(next.retiredPinKeys, [old.pinKey], 'the previous PIN key is kept in secrets.json while PINs need it');
  t.same(memberIds.map(pinHash), oldHashes, 'PIN hashes cannot be redone without the PIN: unchanged by the rotation');
  t.same(countPinHashes(fixture.db, next), { current: 0, retired: 2, argon2id: 0, missingKey: 0 });
  const nextContext = { ...fixture.context, keys: next };

  const wrong = await verifyMemberPin(nextContext, memberIds[0]!, '135790');
  t.same(wrong.ok ? null : [wrong.status, wrong.problems[0]!.code], [422, 'people.error.pin_wrong'], 'a wrong PIN against a hash under the old key is refused');
  t.equal(pinHash(memberIds[0]!), oldHashes[0], 'and moves nothing');
  t.ok((await verifyMemberPin(nextContext, memberIds[0]!, '246810')).ok, 'the right PIN verifies under the retired key');
  t.equal(pinHash(memberIds[0]!), hashPin(next, memberIds[0]!, '246810'), 'and is rewritten under the new key');
  t.equal(fixture.db.$client.prepare('SELECT pin_failed_attempts FROM members WHERE id = ?').pluck().get(memberIds[0]!), 0, 'in the statement that reset the count');
  t.ok((await verifyMemberPin(nextContext, memberIds[0]!, '246810')).ok, 'and still works');
  t.same(countPinHashes(fixture.db, next), { current: 1, retired: 1, argon2id: 0, missingKey: 0 });
  t.same(countPinHashes(fixture.db, { ...next, retiredPinKeys: [] }), { current: 1, retired: 0, argon2id: 0, missingKey: 1 }, 'keys check sees a PIN whose key is missing');

  t.ok((await verifyMemberPin(nextContext, memberIds[1]!, '246810')).ok);
  rotateKeys(fixture.db, dataDirectory, { environment: {}, nowMs: fixture.clock.ms + 1000 });
  const third = unlockKeys(fixture.db, dataDirectory, { environment: {} });
  t.same(third.retiredPinKeys, [next.pinKey], 'a key no PIN uses any more is dropped; only the one the PINs are under is kept');
  t.notOk(JSON.parse(readFileSync(join(dataDirectory, 'secrets.json'), 'utf8')).retiredPinKeys.includes(old.pinKey.toString('base64')));
});

t.test('rotation re-seals the phones of star objections', async (t) => {
  const dataDirectory = directory(t);
  const fixture = peopleFixture();
  const old = unlockKeys(fixture.db, dataDirectory, { environment: {}, requestedProfile: profile });
  const registered = registerMember({ ...fixture.context, keys: old }, fixture.coordinatorA, { realName: '张三', phone: null, idNumber: fixture.idNumber(1), villageCode: villages.hongqi });
  if (!registered.ok) return t.fail('registered');
  const sqlite = fixture.db.$client;
  const awardId = sqlite.prepare(`INSERT INTO star_awards (member_id, star, status, service_minutes, village_code, awarding_region_code, proposed_at_ms)
    VALUES (?, 1, 'on_notice', 6000, ?, ?, 0)`).run(registered.value.memberId, villages.hongqi, villages.hongqi).lastInsertRowid;
  sqlite.prepare(`INSERT INTO star_objections (award_id, reason, phone_ciphertext, phone_masked, address_hash, status, created_at_ms)
    VALUES (?, '理由', ?, '139****5678', 'hash', 'open', 0)`).run(awardId, encryptText(old, '13912345678', objectionPhonePurpose));
  const result = rotateKeys(fixture.db, dataDirectory, { environment: {}, nowMs: fixture.clock.ms });
  t.match(result, { objectionPhones: 1 });
  const next = unlockKeys(fixture.db, dataDirectory, { environment: {} });
  const sealed = sqlite.prepare('SELECT phone_ciphertext FROM star_objections').pluck().get() as string;
  t.equal(decryptText(next, sealed, objectionPhonePurpose), '13912345678', 'the phone opens under the new keys');
  t.throws(() => decryptText(old, sealed, objectionPhonePurpose), 'and no longer under the old ones');
});
