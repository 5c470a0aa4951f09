import t, { type Test } from 'tap';
import { join } from 'node:path';
import { migrationsAppliedBy, openDatabase } from '../../../src/db/client.ts';
import { seedDemoNetwork } from '../../../src/domain/demo/network.ts';
import { revocationSignedText, signPastRevocations } from '../../../src/domain/records/revocations.ts';
import { generateCheckpointKeys, verifyText } from '../../../src/lib/checkpoint-key.ts';
import { instants } from '../../helpers/clock.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';
import { signedInAs, visibleText, TestBrowser, type TestApp } from '../../helpers/web.ts';
import { createHoursApp, scalar } from '../hours/helpers.ts';
import { requestAllTime } from './helpers.ts';

/**
 * Revocation is a signed, append-only record (docs/RECORDS.md "Revocation"):
 * whoever can write the database can neither take a revocation back nor make
 * one up, and /verify never says 有效 when the records disagree.
 */

/** An app whose demo volunteer holds one certificate issued by 凤凰县: its id and number. */
async function withCertificate(t: Test) {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const requestId = await requestAllTime(testApp, await signedInAs(testApp.app, 'volunteer'));
  const office = await signedInAs(testApp.app, 'office');
  await office.get('/certificates');
  await office.post(`/certificates/requests/${requestId}/issue`, {});
  const certificateId = scalar(testApp, 'SELECT id FROM certificates WHERE request_id = ?', requestId);
  const number = scalar<string>(testApp, 'SELECT number FROM certificates WHERE id = ?', certificateId);
  return { testApp, office, certificateId, number, verify: async () => visibleText((await new TestBrowser(testApp.app).get(`/verify/${number}`)).body) };
}

const stateOf = (text: string) => /志愿服务记录证明核验.*?证明编号：\S+\s+(\S+)/s.exec(text)?.[1] ?? '';
const revocationRows = (testApp: TestApp) => testApp.db.$client.prepare('SELECT * FROM certificate_revocations ORDER BY id').all();

t.test('revoking writes one signed row; taking it back by clearing the column still shows 已撤销, with a warning', async (t) => {
  const { testApp, office, certificateId, number, verify } = await withCertificate(t);
  t.equal(stateOf(await verify()), '有效');
  t.equal((await office.post(`/certificates/${certificateId}/revoke`, { reason: '服务记录有误' })).statusCode, 303);
  const row = testApp.db.$client.prepare('SELECT number, reason, revoked_by_user_id AS userId, revoked_at_ms AS atMs, public_key AS publicKey, signature FROM certificate_revocations').get() as
    { number: string; reason: string; userId: number; atMs: number; publicKey: string; signature: string };
  t.match(row, { number, reason: '服务记录有误', userId: scalar(testApp, "SELECT id FROM users WHERE phone = '13800000004'"), atMs: testApp.clock.now(), publicKey: testApp.app.checkpointKeys.publicKey });
  const sha = scalar<string>(testApp, 'SELECT content_sha256 FROM certificates WHERE id = ?', certificateId);
  t.ok(verifyText(row.publicKey, revocationSignedText(sha, { number, reason: row.reason, revokedByUserId: row.userId, revokedAtMs: row.atMs }), row.signature), 'signed by the network key');
  t.equal(stateOf(await verify()), '已撤销');
  t.equal((await office.post(`/certificates/${certificateId}/revoke`, { reason: '再撤一次' })).statusCode, 409, 'revoked once only');
  t.equal(revocationRows(testApp).length, 1);

  // Someone with write access to the database "un-revokes" it.
  testApp.db.$client.prepare('UPDATE certificates SET revoked_at_ms = NULL, revoked_reason = NULL, revoked_by_user_id = NULL WHERE id = ?').run(certificateId);
  const after = await verify();
  t.equal(stateOf(after), '已撤销', 'the signed row still says revoked');
  t.match(after, '服务记录有误', 'with the signed reason');
  t.match(after, '警告：系统中本证明的撤销标记与签名的撤销记录不一致');
  t.notMatch(after, /\s有效\s/);
  t.equal((await office.post(`/certificates/${certificateId}/revoke`, { reason: '再撤一次' })).statusCode, 409, 'a signed row counts as revoked for the office too');
  const print = visibleText((await office.get(`/certificates/${certificateId}`)).body);
  t.match(print, '服务记录有误', 'the print page still says revoked, with the signed reason');
  t.notMatch(print, '撤销原因', 'and offers no second revocation');
  t.match(visibleText((await office.get('/certificates')).body), '已撤销', 'the office\'s list too');
});

t.test('the revocation rows refuse UPDATE and DELETE', async (t) => {
  const { testApp, office, certificateId } = await withCertificate(t);
  await office.post(`/certificates/${certificateId}/revoke`, { reason: '服务记录有误' });
  const before = revocationRows(testApp);
  t.throws(() => testApp.db.$client.prepare("UPDATE certificate_revocations SET reason = '没事了'").run(), /certificate_revocations is insert-only/);
  t.throws(() => testApp.db.$client.prepare('DELETE FROM certificate_revocations').run(), /certificate_revocations is insert-only/);
  t.same(revocationRows(testApp), before, 'unchanged');
});

t.test('a revocation nobody signed: a forged row or a column set by hand is 状态存疑 with a warning, never 有效', async (t) => {
  const { testApp, certificateId, verify } = await withCertificate(t);
  const sqlite = testApp.db.$client;
  sqlite.prepare('UPDATE certificates SET revoked_at_ms = 1, revoked_reason = ? WHERE id = ?').run('手工改的', certificateId);
  const column = await verify();
  t.equal(stateOf(column), '状态存疑：请向出具单位核实');
  t.match(column, '警告：系统中本证明的撤销标记与签名的撤销记录不一致');
  t.notMatch(column, '手工改的', 'an unsigned reason is not shown');
  sqlite.prepare('UPDATE certificates SET revoked_at_ms = NULL, revoked_reason = NULL WHERE id = ?').run(certificateId);
  sqlite.prepare(`INSERT INTO certificate_revocations (certificate_id, number, reason, revoked_by_user_id, revoked_at_ms, algorithm, public_key, signature)
    SELECT id, number, '伪造', issued_by_user_id, 1, 'ed25519', ?, 'AAAA' FROM certificates WHERE id = ?`).run(testApp.app.checkpointKeys.publicKey, certificateId);
  const forged = await verify();
  t.equal(stateOf(forged), '状态存疑：请向出具单位核实');
  t.match(forged, '警告：本证明的撤销记录与网络签名不符');
  t.notMatch(forged, /\s有效\s/);
});

t.test('migration: a certificate revoked before the signed rows gets one in the start-up that applies the migration, never on a later start', async (t) => {
  const { testApp, certificateId, verify } = await withCertificate(t);
  const sqlite = testApp.db.$client;
  const officeId = scalar(testApp, "SELECT id FROM users WHERE phone = '13800000004'");
  // As the old code left it: the column only. The test app's database was migrated when it opened, as at that start-up.
  t.ok(migrationsAppliedBy(testApp.db).some((tag) => tag.endsWith('_certificate_revocations')), 'this open applied the revocations migration');
  sqlite.prepare('UPDATE certificates SET revoked_at_ms = ?, revoked_reason = ?, revoked_by_user_id = ? WHERE id = ?').run(testApp.clock.now(), '旧的撤销', officeId, certificateId);
  t.equal(signPastRevocations(testApp.db, testApp.app.checkpointKeys), 1, 'one signed');
  const text = await verify();
  t.equal(stateOf(text), '已撤销');
  t.match(text, '旧的撤销');
  t.notMatch(text, '警告');
  t.equal(signPastRevocations(testApp.db, testApp.app.checkpointKeys), 0, 'nothing left to sign');
  t.equal(revocationRows(testApp).length, 1);
});

t.test('a later start signs nothing: a revocation written into the column by editing the database stays unsigned (no marker to clear)', async (t) => {
  const dir = t.testdir();
  const keys = generateCheckpointKeys();
  const first = openDatabase(join(dir, 'silver-hours.db'));
  await seedDemoNetwork(first, testSecrets(), instants.suiteDefault, keys);
  t.ok(migrationsAppliedBy(first).length > 30, 'the first open applied every migration');
  t.equal(signPastRevocations(first, keys), 0, 'the demo certificate is not revoked');
  first.$client.close();
  const later = openDatabase(join(dir, 'silver-hours.db'));
  t.teardown(() => later.$client.close());
  t.same(migrationsAppliedBy(later), [], 'a later open applies nothing');
  later.$client.prepare("UPDATE certificates SET revoked_at_ms = 1, revoked_reason = '伪造的撤销'").run();
  later.$client.prepare("DELETE FROM settings WHERE key LIKE 'records.%'").run();
  t.equal(signPastRevocations(later, keys), 0, 'nothing signed');
  t.equal(later.$client.prepare('SELECT count(*) FROM certificate_revocations').pluck().get(), 0);
});

t.test('moving a revoked certificate to another row id and clearing its column does not hide the signed revocation', async (t) => {
  const { testApp, office, certificateId, number, verify } = await withCertificate(t);
  t.equal((await office.post(`/certificates/${certificateId}/revoke`, { reason: '服务记录有误' })).statusCode, 303);
  const sqlite = testApp.db.$client;
  sqlite.pragma('foreign_keys = OFF');
  sqlite.prepare('UPDATE certificates SET id = id + 1000, revoked_at_ms = NULL, revoked_reason = NULL, revoked_by_user_id = NULL WHERE number = ?').run(number);
  sqlite.pragma('foreign_keys = ON');
  const text = await verify();
  t.equal(stateOf(text), '已撤销', 'found by its number, which both signatures cover');
  t.notMatch(text, /\s有效\s/);
  t.throws(() => sqlite.prepare("INSERT INTO certificate_revocations (certificate_id, number, reason, revoked_by_user_id, revoked_at_ms, algorithm, public_key, signature) SELECT certificate_id + 1000, number, 'x', revoked_by_user_id, 1, algorithm, public_key, signature FROM certificate_revocations").run(),
    /UNIQUE constraint failed: certificate_revocations.number/, 'one revocation row per number');
});
