import t from 'tap';
import { count, createNetworkApp, signedInAs, visibleText } from '../../helpers/web.ts';
import { exportMemberData } from '../../../src/domain/people/members/export.ts';
import { openIdNumber } from '../../../src/domain/people/members/identity.ts';
import { actorWithRoles } from '../../helpers/actor.ts';

/**
 * Issue 12 item 4: the PIPL copy in clear is the member's own (signed in as
 * themself). Staff in scope get it masked, or in clear only with a recorded
 * reason: audited, at most 10 per staff user per hour, counted atomically.
 */
const { app, db, clock } = await createNetworkApp();
t.teardown(() => app.close());
const one = <T>(sql: string, ...args: unknown[]) => db.$client.prepare(sql).get(...args) as T;
const member = one<{ id: number; phone: string; ciphertext: string }>(
  `SELECT id, phone, id_number_ciphertext AS ciphertext FROM members WHERE village_code = '433123101001' AND status = 'active' AND phone IS NOT NULL
     AND id NOT IN (SELECT member_id FROM users WHERE member_id IS NOT NULL) ORDER BY id LIMIT 1`,
);
const idNumber = openIdNumber(app.secrets, member.ciphertext);
const clearCopies = () => count(db, `audit_log WHERE action = 'member.export_clear'`);

t.test('staff get the copy masked; the member gets their own in clear', async (t) => {
  const coordinator = await signedInAs(app, 'coordinator');
  const masked = await coordinator.get(`/members/${member.id}/export`);
  t.equal(masked.statusCode, 200);
  t.notMatch(masked.body, idNumber, 'no whole ID number');
  t.notMatch(masked.body, member.phone, 'no whole phone');
  const copy = JSON.parse(masked.body);
  t.equal(copy.masked, true);
  t.equal(copy.member.idNumber, `${idNumber.slice(0, 6)}********${idNumber.slice(-4)}`);
  t.equal(copy.member.phone, `${member.phone.slice(0, 3)}****${member.phone.slice(7)}`);
  t.ok(one(`SELECT 1 FROM audit_log WHERE action = 'member.export' AND object_id = ?`, String(member.id)), 'the masked copy is audited');

  const volunteer = await signedInAs(app, 'volunteer');
  const own = await volunteer.get('/members/me/export');
  t.equal(own.statusCode, 200);
  const ownCopy = JSON.parse(own.body);
  const volunteerMember = one<{ phone: string; ciphertext: string }>(`SELECT m.phone, m.id_number_ciphertext AS ciphertext FROM members m JOIN users u ON u.member_id = m.id WHERE u.phone = '13800000001'`);
  t.equal(ownCopy.masked, false);
  t.equal(ownCopy.member.idNumber, openIdNumber(app.secrets, volunteerMember.ciphertext), 'the own copy holds the whole ID number');
  t.equal(ownCopy.member.phone, volunteerMember.phone);
  t.equal((await volunteer.get(`/members/${member.id}/export`)).statusCode, 404, "someone else's copy is not there for a member");
});

t.test('a copy in clear needs a reason; refusals write nothing', async (t) => {
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get(`/members/${member.id}`);
  const before = count(db, 'audit_log');
  const noReason = await coordinator.post(`/members/${member.id}/export`, { export_reason: '  ' });
  t.equal(noReason.statusCode, 422);
  t.match(visibleText(noReason.body), '请填写原因');
  t.notMatch(noReason.body, idNumber);
  t.equal(count(db, 'audit_log'), before, 'nothing written');

  const clear = await coordinator.post(`/members/${member.id}/export`, { export_reason: '本人到村委会当面申请' });
  t.equal(clear.statusCode, 200);
  t.equal(JSON.parse(clear.body).member.idNumber, idNumber, 'in clear, with the reason recorded');
  const entry = one<{ detail: string; actor: number }>(`SELECT detail, actor_user_id AS actor FROM audit_log WHERE action = 'member.export_clear' ORDER BY id DESC LIMIT 1`);
  t.match(JSON.parse(entry.detail), { reason: '本人到村委会当面申请' });
  t.notMatch(entry.detail, idNumber, 'the audit entry holds no personal data');

  // Another county's office: answered like a missing member, nothing recorded.
  const city = await signedInAs(app, 'office-city');
  const copies = clearCopies();
  t.equal((await city.post(`/members/${member.id}/export`, { export_reason: '核对' })).statusCode, 404);
  t.equal(clearCopies(), copies);
});

t.test('at most 10 copies in clear per staff user per hour, under parallel requests through a real server', async (t) => {
  const office = await signedInAs(app, 'office');
  await office.get(`/members/${member.id}`);
  const already = one<{ n: number }>(`SELECT count(*) AS n FROM audit_log a JOIN users u ON u.id = a.actor_user_id WHERE a.action = 'member.export_clear' AND u.phone = '13800000004'`).n;
  t.equal(already, 0);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const body = new URLSearchParams({ _csrf: office.csrfToken, export_reason: '老人本人申请打印' }).toString();
  const send = () => fetch(`${address}/members/${member.id}/export`, { method: 'POST', headers: { cookie: office.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' }, body, redirect: 'manual' });
  const answers = await Promise.all(Array.from({ length: 16 }, send));
  const statuses = answers.map((answer) => answer.status).sort();
  const texts = await Promise.all(answers.map((answer) => answer.text()));
  t.equal(statuses.filter((status) => status === 200).length, 10, 'ten copies');
  t.equal(statuses.filter((status) => status === 429).length, 6, 'the rest refused with 429');
  const refusal = texts[answers.findIndex((answer) => answer.status === 429)]!;
  t.match(visibleText(refusal), '一小时内最多下载 10 份完整副本');
  t.notMatch(refusal, idNumber);
  t.equal(one<{ n: number }>(`SELECT count(*) AS n FROM audit_log a JOIN users u ON u.id = a.actor_user_id WHERE a.action = 'member.export_clear' AND u.phone = '13800000004'`).n, 10, 'ten audit entries');
  // The masked copy stays available.
  t.equal((await office.get(`/members/${member.id}/export`)).statusCode, 200);
});

t.test('the domain refuses a clear copy to staff out of scope, and masks for staff', async (t) => {
  const result = exportMemberData({ db, keys: app.secrets, now: () => 0 }, actorWithRoles(db, { userId: 5, memberId: null, roles: [{ role: 'office', regionCode: '430500' }] }), member.id);
  t.equal(result.ok ? 0 : result.status, 404);
});
