import { randomUUID } from 'node:crypto';
import t from 'tap';
import { openIdNumber } from '../../../src/domain/people/members/identity.ts';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { count, createNetworkApp, signedInAs, visibleText } from '../../helpers/web.ts';

/**
 * Issue 12 item 5: registering a phone or ID number that is already used
 * answers "already registered, ask your county office" and names nobody,
 * unless the existing member is inside the registering user's scope. Ten
 * duplicate refusals per user per hour, then the form refuses (429).
 */
const { app, db, clock } = await createNetworkApp();
const secrets = app.secrets;
t.teardown(() => app.close());
const one = <T>(sql: string, ...args: unknown[]) => db.$client.prepare(sql).get(...args) as T;

type Row = { id: number; realName: string; phone: string; ciphertext: string; cardNumber: string; village: string };
const memberIn = (village: string) => one<Row>(
  `SELECT m.id, m.real_name AS realName, m.phone, m.id_number_ciphertext AS ciphertext, m.card_number AS cardNumber, r.name_zh AS village
     FROM members m JOIN regions r ON r.code = m.village_code WHERE m.village_code = ? AND m.status = 'active' AND m.phone IS NOT NULL AND m.card_number IS NOT NULL ORDER BY m.id LIMIT 1`,
  village,
);
const away = memberIn('430524101001'); // 隆回县: outside the 凤凰县 coordinator's scope
const home = memberIn('433123101001'); // 老家寨村: inside it
const laojiazhai = '433123101001';
let serial = 400;
const newIdNumber = () => makeIdNumber('433123', '1950-03-03', (serial += 1));
const form = (fields: Record<string, string>) => ({ idempotency_key: randomUUID(), real_name: '石阿公', village_code: laojiazhai, ...fields });
const refusals = () => count(db, `audit_log WHERE action = 'registration.duplicate_refused'`);

t.test('a duplicate outside the scope names nobody; inside it points to the member', async (t) => {
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/members/new');
  const members = count(db, 'members');

  const byPhone = await coordinator.post('/members', form({ phone: away.phone, id_number: newIdNumber() }));
  t.equal(byPhone.statusCode, 409);
  const phoneText = visibleText(byPhone.body);
  t.match(phoneText, '该手机号已登记，请联系所在县老龄办');
  for (const secret of [away.cardNumber, away.village, away.realName.slice(0, 1) + '*']) t.notMatch(phoneText, secret, `names nothing of the member (${secret.length} characters)`);

  const byId = await coordinator.post('/members', form({ phone: '', id_number: openIdNumber(secrets, away.ciphertext) }));
  t.equal(byId.statusCode, 409);
  t.match(visibleText(byId.body), '该身份证号已登记，请联系所在县老龄办');
  t.notMatch(visibleText(byId.body), away.cardNumber);
  t.notMatch(visibleText(byId.body), away.village);

  const inScope = await coordinator.post('/members', form({ phone: home.phone, id_number: newIdNumber() }));
  t.equal(inScope.statusCode, 409);
  t.match(visibleText(inScope.body), home.cardNumber, 'a member of the own area is pointed to by card number');
  t.equal(count(db, 'members'), members, 'no member written');
  t.equal(refusals(), 3, 'each duplicate refusal is audited for the offices');
  t.notMatch(JSON.stringify(db.$client.prepare(`SELECT detail FROM audit_log WHERE action = 'registration.duplicate_refused'`).all()), away.phone, 'the audit holds no phone');
});

t.test('an elder already registered in another county is not named either', async (t) => {
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/elders/new');
  const elder = one<{ ciphertext: string; realName: string }>(`SELECT id_number_ciphertext AS ciphertext, real_name AS realName FROM elders WHERE village_code = '430524101001' AND status = 'active' ORDER BY id LIMIT 1`);
  const elders = count(db, 'elders');
  const response = await coordinator.post('/elders', {
    idempotency_key: randomUUID(), real_name: '龙阿婆', id_number: openIdNumber(secrets, elder.ciphertext), phone: '', village_code: laojiazhai, visit_interval_days: '30',
    family_contact_name: '龙大', family_contact_relation: '儿子', family_contact_phone: '', consent_given_by: 'self', consent_method: 'verbal', categories: 'living_alone',
  });
  t.equal(response.statusCode, 409);
  t.match(visibleText(response.body), '该老人已在名录中，请联系所在县老龄办');
  t.notMatch(visibleText(response.body), '旺溪村');
  t.equal(count(db, 'elders'), elders);
});

t.test('ten duplicate refusals per user per hour, then 429, under parallel requests through a real server', async (t) => {
  const office = await signedInAs(app, 'office');
  await office.get('/members/new');
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const members = count(db, 'members');
  const send = (fields: Record<string, string>) => fetch(`${address}/members`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: office.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: office.csrfToken, ...form(fields) }).toString(),
  });
  const answers = await Promise.all(Array.from({ length: 14 }, () => send({ phone: away.phone, id_number: newIdNumber() })));
  const statuses = answers.map((answer) => answer.status);
  t.equal(statuses.filter((status) => status === 409).length, 10, 'ten refusals as duplicates');
  t.equal(statuses.filter((status) => status === 429).length, 4, 'then 429');
  const limited = await answers[statuses.indexOf(429)]!.text();
  t.match(visibleText(limited), '登记暂停一小时');
  t.equal(count(db, `audit_log a JOIN users u ON u.id = a.actor_user_id WHERE a.action = 'registration.duplicate_refused' AND u.phone = '13800000004'`), 10);
  // Within the hour even a new person is refused; after it, the form works again.
  const fresh = { phone: '', id_number: newIdNumber() };
  t.equal((await send(fresh)).status, 429);
  t.equal(count(db, 'members'), members, 'nothing written');
  clock.advance(61 * 60_000);
  await office.get('/members/new');
  t.equal((await office.post('/members', form(fresh))).statusCode, 303, 'an hour later the registration goes through');
  t.equal(count(db, 'members'), members + 1);
});
