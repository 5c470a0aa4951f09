import t from 'tap';
import { eq } from 'drizzle-orm';
import { auditLog } from '../../../src/db/schema/core.ts';
import { members } from '../../../src/db/schema/people.ts';
import { openCardToken } from '../../../src/domain/people/members/card.ts';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { count, createTestApp, signedInAs, TestBrowser, visibleText } from '../../helpers/web.ts';
import { queryPlan, statementsDuring } from '../../helpers/query-plans.ts';

const laojiazhai = '433123101001';
const tianxing = '433123102001'; // 阿拉营镇: outside the demo coordinator's township

t.test('a coordinator registers a member; every rejection is named in Chinese and writes nothing', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator');
  const page = await coordinator.get('/members/new');
  t.equal(page.statusCode, 200);
  t.match(visibleText(page.body), '登记新成员');
  t.match(page.body, /<label for="id_number">身份证号<\/label>/);
  const before = count(db, 'members');
  const key = /name="idempotency_key" value="([^"]+)"/.exec(page.body)![1]!;

  const idNumber = makeIdNumber('433123', '1959-08-08', 17);
  const badCheck = idNumber.slice(0, 17) + (idNumber[17] === '1' ? '2' : '1');
  const bad = await coordinator.post('/members', { idempotency_key: key, real_name: '龙阿妹', phone: '13712345678', id_number: badCheck, village_code: laojiazhai });
  t.equal(bad.statusCode, 422);
  t.match(visibleText(bad.body), '身份证号校验位不对');
  // Issue 14 item 6: what was typed stays in the form so one mistyped digit is corrected, not all 18 typed again.
  t.match(bad.body, new RegExp(`id="id_number"[^>]*value="${badCheck}"`), 'the mistyped number stays in the form');
  t.match(bad.body, /aria-invalid="true" ?[^>]*|id="id_number"[^>]*aria-invalid="true"/);
  const future = await coordinator.post('/members', { idempotency_key: key, real_name: '龙阿妹', phone: '13712345678', id_number: makeIdNumber('433123', '2027-01-01', 17), village_code: laojiazhai });
  t.equal(future.statusCode, 422);
  t.match(visibleText(future.body), '出生日期在今天之后');
  const outside = await coordinator.post('/members', { idempotency_key: key, real_name: '龙阿妹', phone: '13712345678', id_number: idNumber, village_code: tianxing });
  t.equal(outside.statusCode, 403);
  t.match(visibleText(outside.body), '您没有权限管理“天星村”的人员');
  t.equal(count(db, 'members'), before, 'nothing written');

  const created = await coordinator.post('/members', { idempotency_key: key, real_name: '龙阿妹', phone: '137 1234 5678', id_number: idNumber, village_code: laojiazhai });
  t.equal(created.statusCode, 303);
  const location = created.headers.location as string;
  t.match(location, /^\/members\/\d+\?registered=1$/);
  const again = await coordinator.post('/members', { idempotency_key: key, real_name: '龙阿妹', phone: '13712345678', id_number: idNumber, village_code: laojiazhai });
  t.equal(again.statusCode, 303, 'a double tap lands on the same member');
  t.equal(again.headers.location, location);
  t.equal(count(db, 'members'), before + 1);

  const duplicate = await coordinator.post('/members', { idempotency_key: crypto.randomUUID(), real_name: '龙二妹', phone: '13799998888', id_number: idNumber, village_code: laojiazhai });
  t.equal(duplicate.statusCode, 409);
  t.match(visibleText(duplicate.body), /该身份证号已登记：龙\*妹（卡号 \d{13}，老家寨村）/);

  const show = await coordinator.get(location);
  const text = visibleText(show.body);
  t.match(text, `${idNumber.slice(0, 6)}********${idNumber.slice(-4)}`);
  t.match(text, '137****5678');
  t.notMatch(show.body, idNumber);
  t.notMatch(show.body, '13712345678');
  t.match(text, '已登记，成员卡已生成');
});

t.test('search, card page with an SVG QR code, A4 sheet, reissue, suspend with a reason, PIPL download', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/members/new');
  const ids: string[] = [];
  for (const [index, name] of ['单田芳', '张三丰'].entries()) {
    const response = await coordinator.post('/members', { idempotency_key: crypto.randomUUID(), real_name: name, phone: `1360000000${index}`, id_number: makeIdNumber('433123', '1955-01-0' + (index + 1), 30 + index), village_code: laojiazhai });
    t.equal(response.statusCode, 303);
    ids.push(/\/members\/(\d+)/.exec(response.headers.location as string)![1]!);
  }
  const byPinyin = await coordinator.get('/members?q=shantianfang');
  t.match(visibleText(byPinyin.body), '单田芳');
  t.notMatch(visibleText(byPinyin.body), '张三丰');
  const byInitials = await coordinator.get('/members?q=zsf');
  t.match(visibleText(byInitials.body), '张三丰');
  const byPhone = await coordinator.get('/members?q=0001');
  t.match(visibleText(byPhone.body), '张三丰');

  const card = await coordinator.get(`/members/${ids[0]}/card`);
  t.equal(card.statusCode, 200);
  t.match(card.body, /<svg [^>]*viewBox/);
  t.match(card.body, /\/assets\/people\.[0-9a-f]{12}\.css/);
  const sheet = await coordinator.get(`/members/cards?ids=${ids.join(',')}`);
  t.equal((sheet.body.match(/class="member-card"/g) ?? []).length, 2);

  const before = db.select().from(members).where(eq(members.id, Number(ids[0]))).get()!;
  await coordinator.get(`/members/${ids[0]}`);
  const reissued = await coordinator.post(`/members/${ids[0]}/card`, {});
  t.equal(reissued.statusCode, 303);
  const after = db.select().from(members).where(eq(members.id, Number(ids[0]))).get()!;
  t.not(after.cardTokenHash, before.cardTokenHash, 'the old token no longer matches');
  t.equal(after.cardNumber, before.cardNumber);

  await coordinator.get(`/members/${ids[0]}`);
  const noReason = await coordinator.post(`/members/${ids[0]}/status`, { action: 'suspend', reason: '' });
  t.equal(noReason.statusCode, 422);
  t.match(visibleText(noReason.body), '请填写原因');
  const suspended = await coordinator.post(`/members/${ids[0]}/status`, { action: 'suspend', reason: '卡片遗失' });
  t.equal(suspended.statusCode, 303);
  t.equal(db.select().from(members).where(eq(members.id, Number(ids[0]))).get()!.status, 'suspended');
  t.ok(db.select().from(auditLog).where(eq(auditLog.action, 'member.suspend')).get());

  const exported = await coordinator.get(`/members/${ids[1]}/export`);
  t.equal(exported.statusCode, 200);
  t.match(exported.headers['content-disposition'], /attachment/);
  // Staff get the copy with the ID number masked (issue 12 item 4); the member's own copy is in clear.
  const staffIdNumber = makeIdNumber('433123', '1955-01-02', 31);
  t.equal(JSON.parse(exported.body).member.idNumber, `${staffIdNumber.slice(0, 6)}********${staffIdNumber.slice(-4)}`);
  t.notMatch(exported.body, staffIdNumber);

  const office = await signedInAs(app, 'office-city');
  t.equal((await office.get(`/members/${ids[1]}`)).statusCode, 404, 'the Shaoyang office cannot see a Fenghuang member');
  t.equal((await office.get(`/members/${ids[1]}/export`)).statusCode, 404);
  const volunteer = await signedInAs(app, 'volunteer');
  t.equal((await volunteer.get('/members')).statusCode, 403);
  const anonymous = new TestBrowser(app);
  const signIn = await anonymous.get('/members');
  t.equal(signIn.statusCode, 303, 'signed-out users are sent to sign in');
});

t.test('public self-registration, reviewed by the coordinator of that village', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const visitor = new TestBrowser(app);
  const form = await visitor.get('/join');
  t.equal(form.statusCode, 200);
  const key = /name="idempotency_key" value="([^"]+)"/.exec(form.body)![1]!;
  const values = { idempotency_key: key, real_name: '吴秀英', phone: '13612341234', id_number: makeIdNumber('433123', '1957-07-07', 42), village_code: laojiazhai };
  const noConsent = await visitor.post('/join', values);
  t.equal(noConsent.statusCode, 422);
  t.match(visibleText(noConsent.body), '请勾选同意');
  const sent = await visitor.post('/join', { ...values, consent: 'yes' });
  t.equal(sent.statusCode, 303);
  t.equal(sent.headers.location, '/join/done');
  const pending = db.select().from(members).where(eq(members.phone, '13612341234')).get()!;
  t.equal(pending.status, 'pending');

  const cityOffice = await signedInAs(app, 'office-city');
  await cityOffice.get('/members/review');
  const wrongOffice = await cityOffice.post(`/members/${pending.id}/review`, { decision: 'approve' });
  t.equal(wrongOffice.statusCode, 404);

  const coordinator = await signedInAs(app, 'coordinator');
  const queue = await coordinator.get('/members/review');
  t.match(visibleText(queue.body), '吴秀英');
  const noReason = await coordinator.post(`/members/${pending.id}/review`, { decision: 'reject', reason: '' });
  t.equal(noReason.statusCode, 422);
  t.match(visibleText(noReason.body), '请填写原因');
  const approved = await coordinator.post(`/members/${pending.id}/review`, { decision: 'approve' });
  t.equal(approved.statusCode, 303);
  t.equal(db.select().from(members).where(eq(members.id, pending.id)).get()!.status, 'active');
  const twice = await coordinator.post(`/members/${pending.id}/review`, { decision: 'approve' });
  t.equal(twice.statusCode, 409);
});

t.test('a scanned card: valid for anyone, the holder only for staff in scope; a replaced card is refused', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/members/new');
  const created = await coordinator.post('/members', { idempotency_key: crypto.randomUUID(), real_name: '石阿公', phone: '', id_number: makeIdNumber('433123', '1950-02-02', 51), village_code: laojiazhai });
  const id = /\/members\/(\d+)/.exec(created.headers.location as string)![1];
  const row = db.select().from(members).where(eq(members.id, Number(id))).get()!;
  const token = openCardToken(app.secrets, row.cardTokenCiphertext!);
  const anonymous = new TestBrowser(app);
  const scanned = await anonymous.get(`/c/${token}`);
  t.equal(scanned.statusCode, 200);
  t.match(visibleText(scanned.body), '这是一张有效的银龄时光成员卡');
  t.notMatch(visibleText(scanned.body), '石阿公', 'a stranger scanning the card learns no name');
  const staffScan = await coordinator.get(`/c/${token}`);
  t.match(visibleText(staffScan.body), '持卡人：石阿公');
  await coordinator.get(`/members/${id}`);
  await coordinator.post(`/members/${id}/card`, {});
  const stale = await anonymous.get(`/c/${token}`);
  t.equal(stale.statusCode, 404);
  t.match(visibleText(stale.body), '这张卡无效');
});

t.test("a member's own page: masked record, own PIN, ask to join a team, own data copy; nobody else's", async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/members/new');
  const created = await coordinator.post('/members', { idempotency_key: crypto.randomUUID(), real_name: '王秀英', phone: '13800000001', id_number: makeIdNumber('433123', '1959-06-15', 91), village_code: laojiazhai });
  t.equal(created.statusCode, 303);
  const memberId = Number(/\/members\/(\d+)/.exec(created.headers.location as string)![1]);
  db.$client.prepare("UPDATE users SET member_id = ? WHERE phone = '13800000001'").run(memberId);
  const office = await signedInAs(app, 'office');
  await office.get('/teams');
  await office.post('/teams', { idempotency_key: crypto.randomUUID(), name: '山江镇互助队', sponsor_unit: '凤凰县民政局', sponsor_kind: 'member_unit', region_code: '433123101' });

  const volunteer = await signedInAs(app, 'volunteer');
  const own = await volunteer.get('/members/me');
  t.equal(own.statusCode, 200);
  t.match(visibleText(own.body), '138****0001');
  t.notMatch(own.body, makeIdNumber('433123', '1959-06-15', 91));
  const simple = await volunteer.post('/members/me/pin', { pin: '123456', pin_confirm: '123456' });
  t.equal(simple.statusCode, 422);
  t.match(visibleText(simple.body), '密码太简单');
  const set = await volunteer.post('/members/me/pin', { pin: '582046', pin_confirm: '582046' });
  t.equal(set.statusCode, 303);
  t.ok(db.select().from(members).where(eq(members.id, memberId)).get()!.pinHash);
  await volunteer.get('/members/me');
  const teamId = (db.$client.prepare('SELECT id FROM teams LIMIT 1').get() as { id: number }).id;
  const asked = await volunteer.post(`/members/me/teams/${teamId}`, {});
  t.equal(asked.statusCode, 303);
  t.match(visibleText((await volunteer.get('/members/me')).body), '申请入队');
  const exported = await volunteer.get('/members/me/export');
  t.equal(exported.statusCode, 200, 'the own copy is served to the member signed in as themself');
  t.equal(JSON.parse(exported.body).masked, false);
  t.equal((await volunteer.get(`/members/${memberId}/export`)).statusCode, 200);
  t.equal((await volunteer.get(`/members/${memberId + 1}/export`)).statusCode, 404, "another member's copy is not there for them");
  const clerk = await signedInAs(app, 'clerk');
  t.equal((await clerk.get('/members/me')).statusCode, 404, 'a user who is not a member has no member page');
});

t.test('the member list counts pending registrations through the (village_code, status) index, not by walking every member', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator');
  const sqlite = db.$client;
  const { result: list, seen } = await statementsDuring(sqlite, () => coordinator.get('/members'));
  t.equal(list.statusCode, 200);
  const planOf = (source: string) => queryPlan(sqlite, source);
  const pendingQueries = [...seen].filter((source) => source.includes('from "members"') && source.includes('"members"."village_code" IN (SELECT'));
  t.equal(pendingQueries.length, 2, 'the pending count and page take the scope as a list of villages');
  for (const source of pendingQueries) {
    const plan = planOf(source);
    t.match(plan, /USING (COVERING )?INDEX members_village_status/, `pending members are found by village and status: ${plan}`);
    t.notMatch(plan, /SCAN m(embers)?( |$)/, 'never by scanning every member');
  }
});

/** `count` members named `name` in a village of the demo coordinator's township: direct rows, as an import would write them. */
function addNamesakes(sqlite: import('better-sqlite3').Database, name: string, pinyin: string, initials: string, count: number): void {
  const village = sqlite.prepare("SELECT code FROM regions WHERE level = 'village' AND code LIKE '433123101%' ORDER BY code LIMIT 1").pluck().get() as string;
  const insert = sqlite.prepare(`INSERT INTO members (real_name, name_pinyin, name_initials, id_number_ciphertext, id_number_hmac, birth_date, gender, village_code, status, source, created_at_ms, updated_at_ms)
    VALUES (?, ?, ?, 'not-opened-by-the-list', ?, '1960-01-01', 'female', ?, 'active', 'import', 0, 0)`);
  sqlite.transaction(() => {
    for (let i = 0; i < count; i += 1) insert.run(name, pinyin, initials, `namesake-${name}-${i}`, village);
  })();
}

t.test('search by name, pinyin and initials reads the kept search keys through their index, never every member; a large result says "more than 1000"', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const sqlite = db.$client;
  addNamesakes(sqlite, '欧阳春花', 'ouyangchunhua', 'oych', 1001);
  const coordinator = await signedInAs(app, 'coordinator');
  for (const query of ['阳春', 'yangchun', 'oyc']) {
    const { result, seen } = await statementsDuring(sqlite, () => coordinator.get(`/members?q=${encodeURIComponent(query)}`));
    t.equal(result.statusCode, 200);
    t.match(visibleText(result.body), '超过 1000 人，请把搜索写得更具体', `${query}: the total stops at 1000 and says so`);
    t.equal((result.body.match(/欧阳春花/g) ?? []).length, 20, `${query}: a page of 20`);
    const searches = [...seen].filter((source) => source.includes('"member_search_terms"'));
    t.ok(searches.length >= 2, `${query}: the count and the page use the search keys`);
    for (const source of searches) {
      const plan = queryPlan(sqlite, source);
      t.match(plan, /member_search_terms USING (COVERING INDEX|PRIMARY KEY)/, `${query}: keys read by their index: ${plan}`);
      t.notMatch(plan, /SCAN member_search_terms/, `${query}: not every key`);
      t.notMatch(plan, /LIKE/, `${query}: no LIKE over names`);
    }
    t.notMatch([...seen].join('\n'), /"real_name" LIKE/, `${query}: no LIKE '%…%' over every member's name`);
  }
  const few = await coordinator.get(`/members?q=${encodeURIComponent('欧阳春花花')}`);
  t.match(visibleText(few.body), '共 0 人', 'a query longer than any piece finds only names containing all of it');
  // The keys follow a change of name (the triggers of migration member_search_terms).
  const renamed = sqlite.prepare("SELECT id FROM members WHERE real_name = '欧阳春花' ORDER BY id DESC LIMIT 1").pluck().get() as number;
  sqlite.prepare("UPDATE members SET real_name = '欧阳秋月', name_pinyin = 'ouyangqiuyue', name_initials = 'oyqy' WHERE id = ?").run(renamed);
  for (const query of ['秋月', 'qiuyue', 'oyq']) {
    const result = await coordinator.get(`/members?q=${encodeURIComponent(query)}`);
    t.match(visibleText(result.body), '共 1 人', `${query} finds the renamed member`);
    t.match(result.body, `/members/${renamed}"`);
  }
  t.equal(sqlite.prepare("SELECT count(*) FROM member_search_terms WHERE member_id = ? AND term IN ('n春花', 'pchunhua', 'ioych')").pluck().get(renamed), 0, 'the old keys are gone');
});

t.test('issue 16: digits find a card by the start of its number and a member by the whole mobile number, through indexes, never by comparing every member', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const sqlite = db.$client;
  addNamesakes(sqlite, '龙秋月', 'longqiuyue', 'lqy', 300);
  const ids = sqlite.prepare("SELECT id FROM members WHERE real_name = '龙秋月' ORDER BY id").pluck().all() as number[];
  const setPhone = sqlite.prepare('UPDATE members SET phone = ?, phone_last4 = ?, card_number = ? WHERE id = ?');
  ids.forEach((id, i) => {
    const phone = `139${String(100_000_000 + i).slice(1)}`;
    setPhone.run(phone, phone.slice(-4), `4331231${String(i).padStart(5, '0')}9`, id);
  });
  const coordinator = await signedInAs(app, 'coordinator');
  const planOf = (seen: Set<string>) => [...seen].filter((source) => source.includes('"card_number" >=')).map((source) => queryPlan(sqlite, source)).join(' || ');

  const { result: byPhone, seen: phoneStatements } = await statementsDuring(sqlite, () => coordinator.get('/members?q=13900000123'));
  t.equal(byPhone.statusCode, 200);
  t.match(visibleText(byPhone.body), '共 1 人', 'the whole mobile number finds its member');
  t.match(byPhone.body, `/members/${ids[123]}"`);
  t.match(visibleText(byPhone.body), '139****0123', 'shown masked');
  const results = /<tbody>([\s\S]*?)<\/tbody>/.exec(byPhone.body)?.[1] ?? '';
  t.match(results, '139****0123', 'the result row');
  t.notMatch(results, '13900000123', 'the whole number is not in the results (only in the search box it was typed into)');
  const phonePlan = planOf(phoneStatements);
  t.match(phonePlan, /SEARCH members USING (COVERING )?INDEX members_phone_last4 \(phone_last4=\?\)/, `the phone through the last-4 index: ${phonePlan}`);
  t.match(phonePlan, /SEARCH members USING (COVERING )?INDEX members_card_number \(card_number>\? AND card_number<\?\)/, 'a card number starting so, through its index');

  const prefix = '4331231000';
  const { result: byCard, seen: cardStatements } = await statementsDuring(sqlite, () => coordinator.get(`/members?q=${prefix}`));
  const expected = sqlite.prepare("SELECT count(*) FROM members WHERE substr(card_number, 1, 10) = ? AND status IN ('active', 'suspended')").pluck().get(prefix) as number;
  t.equal(expected, 100);
  t.match(visibleText(byCard.body), `共 ${expected} 人`, 'every card starting with those digits, as the database holds them');
  const cardPlan = planOf(cardStatements);
  t.match(cardPlan, /SEARCH members USING (COVERING )?INDEX members_card_number \(card_number>\? AND card_number<\?\)/, `the card number through its index: ${cardPlan}`);
  t.notMatch(cardPlan, /LIKE|SCAN members USING INDEX members_card_number/, 'no LIKE, no walk of every card');
  t.match(visibleText((await coordinator.get('/members?q=13900000999')).body), '共 0 人', 'a number nobody has finds no one');
});
