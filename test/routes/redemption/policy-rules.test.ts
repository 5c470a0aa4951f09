import t from 'tap';
import type { Db } from '../../../src/db/client.ts';
import { randomUUID } from 'node:crypto';
import { accountIds, ledgerFor } from '../../../src/domain/bookkeeping/accounts.ts';
import { isSpouseOrLineal } from '../../../src/domain/redemption/policy-rules.ts';
import { verifyLedger, type TransferInput } from '../../../src/ledger/index.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { available, key, tableCounts } from './helpers.ts';
import { openCounter, pin, policyApp, policyForm, scalarOf, station } from './policy-helpers.ts';

/**
 * Issue 20, the rules cities use, each off by default and switched on here by
 * publishing a version from tomorrow (2026-11-24) and moving the clock there.
 */
const tomorrow = Date.UTC(2026, 10, 24, 2, 0, 0);

async function withRules(overrides: Record<string, string>) {
  const test = await policyApp();
  const admin = await signedInAs(test.app, 'admin');
  await admin.get('/policy');
  const published = await admin.post('/policy/versions', policyForm({ effective_date: '2026-11-24', ...overrides }));
  if (published.statusCode !== 303) throw new Error(visibleText(published.body).slice(0, 300));
  test.clock.nowMs = tomorrow;
  return test;
}

t.test('care age 65, 60 for registered elders with special difficulties (Shanghai): the registry decides, the refusal names the age', async (t) => {
  const test = await withRules({ care_age: '65', care_age_registered: '60' });
  const { app, db, addMember, itemId, registerAsElder } = test;
  t.teardown(() => app.close());
  const registered = await addMember('钱登记', '1964-05-01', 300);
  const ordinary = await addMember('钱普通', '1964-06-01', 300);
  registerAsElder(registered, '钱登记', '1964-05-01', '433123101001', ['empty_nest']);
  const coordinator = await signedInAs(app, 'coordinator');
  const haircut = itemId(station, '理发');
  const allowed = await coordinator.post(`${await openCounter(coordinator, station, registered.cardNumber)}/baskets`, { idempotency_key: key(), [`qty_${haircut}`]: '1' });
  t.equal(allowed.statusCode, 303, 'a registered elder aged 62 buys care from 60');
  const ordinaryUrl = await openCounter(coordinator, station, ordinary.cardNumber);
  const before = tableCounts(db);
  const refused = await coordinator.post(`${ordinaryUrl}/baskets`, { idempotency_key: key(), [`qty_${haircut}`]: '1' });
  t.equal(refused.statusCode, 409);
  t.match(visibleText(refused.body), '「理发」是照护服务，按政策第 2 版 65 岁以上才能用时间兑换。');
  t.same(tableCounts(db), before, 'nothing written');
});

/**
 * A team activity's 2-hour record, approved, crediting the member's wallet
 * from the 凤凰县 issuance account with `credited` minutes; the rest (above the
 * balance cap, as approval does) goes to the county pool as `svc-overflow:<record>`.
 */
function approvedTeamRecord(db: Db, memberId: number, holdId: string, credited: number): void {
  const type = db.$client.prepare("SELECT id, code FROM service_types WHERE code = 'companionship' ORDER BY id DESC LIMIT 1").get() as { id: number; code: string };
  const record = db.$client.prepare(`INSERT INTO service_records (idempotency_key, volunteer_member_id, service_type_id, service_type_code, village_code, county_code, service_date, start_at_ms, end_at_ms,
      duration_minutes, credit_minutes, source, activity_id, status, hold_transfer_id, created_at_ms)
    VALUES (?, ?, ?, ?, '433123101001', '433123', '2026-11-23', ?, ?, 120, 120, 'activity', 1, 'approved', ?, ?)`)
    .run(randomUUID(), memberId, type.id, type.code, tomorrow - 86_400_000, tomorrow - 86_400_000 + 7_200_000, holdId, tomorrow);
  const ref = { refType: 'service_record', refId: String(record.lastInsertRowid) };
  const transfers: TransferInput[] = [{ id: holdId, debitAccountId: accountIds.issuance('433123'), creditAccountId: accountIds.wallet(memberId), amount: credited, code: 'service_credit', ...ref }];
  if (credited < 120) transfers.push({ id: `svc-overflow:${record.lastInsertRowid}`, debitAccountId: accountIds.issuance('433123'), creditAccountId: accountIds.pool('433123'), amount: 120 - credited, code: 'cap_overflow', ...ref });
  const results = ledgerFor(db.$client, () => tomorrow).createTransfers(transfers);
  if (results.some((result) => result !== 'ok')) throw new Error(`team record transfers: ${results.join(', ')}`);
}

t.test('team credits only donated (Nanjing): not spent at a counter until given away with the gift feature', async (t) => {
  const { app, db, addMember, itemId } = await withRules({ team_donate_only: '1' });
  t.teardown(() => app.close());
  const member = await addMember('钱队员', '1950-01-01', 60);
  approvedTeamRecord(db, member.id, 'test-team-credit', 120);
  t.equal(available(db, `wallet:m${member.id}`), 180, '1 hour of own credits and 2 hours from a team activity');

  const coordinator = await signedInAs(app, 'coordinator');
  const url = await openCounter(coordinator, station, member.cardNumber);
  const cleaning = itemId(station, '上门打扫（两小时）'); // 120 minutes
  const before = tableCounts(db);
  const refused = await coordinator.post(`${url}/baskets`, { idempotency_key: key(), [`qty_${cleaning}`]: '1' });
  t.equal(refused.statusCode, 409);
  t.match(visibleText(refused.body), '按政策第 2 版，队伍活动获得的 2 小时 只能转赠或捐赠（在“转赠”页面），不能在站点兑换；这次最多可用 1 小时。');
  t.same(tableCounts(db), before, 'nothing written');
  const haircut = await coordinator.post(`${url}/baskets`, { idempotency_key: key(), [`qty_${itemId(station, '理发')}`]: '1' });
  t.equal(haircut.statusCode, 303, 'own credits are spent as before');
  t.equal((await coordinator.post(`${haircut.headers.location}/confirm`, { pin })).statusCode, 303);

  // Donating the team credits (the gift feature, to the county pool) is allowed; then what is left is the member's own.
  await coordinator.get('/gifts');
  const donated = await coordinator.post('/gifts', { kind: 'donation', from: member.cardNumber, amount_hours: '2', amount_minutes: '', pin, idempotency_key: key() });
  t.equal(donated.statusCode, 303, visibleText(donated.body).slice(0, 200));
  t.equal(scalarOf(db, "SELECT amount_minutes FROM member_gifts WHERE from_member_id = ? AND kind = 'donation'", member.id), 120);
  t.equal(available(db, `wallet:m${member.id}`), 30);
  const again = await coordinator.post(`${url}/baskets`, { idempotency_key: key(), [`qty_${itemId(station, '理发')}`]: '1' });
  t.equal(again.statusCode, 303, 'after the donation the last 30 own minutes buy another haircut');
  t.ok(verifyLedger(db.$client).ok);
});

t.test('team credits only donated: a part the balance cap diverted to the pool never reached the wallet and is not counted as team credit', async (t) => {
  const { app, db, addMember, itemId } = await withRules({ team_donate_only: '1' });
  t.teardown(() => app.close());
  const member = await addMember('孙队员', '1950-01-01', 60);
  // Of the record's 2 hours, 1 reached the wallet and 1 went to the county pool above the cap (as approval does).
  approvedTeamRecord(db, member.id, 'test-team-capped', 60);
  t.equal(available(db, `wallet:m${member.id}`), 120, '1 hour of own credits and the 1 hour of the activity that reached the wallet');

  const coordinator = await signedInAs(app, 'coordinator');
  const url = await openCounter(coordinator, station, member.cardNumber);
  const before = tableCounts(db);
  const refused = await coordinator.post(`${url}/baskets`, { idempotency_key: key(), [`qty_${itemId(station, '上门打扫（两小时）')}`]: '1' });
  t.equal(refused.statusCode, 409);
  t.match(visibleText(refused.body), '队伍活动获得的 1 小时 只能转赠或捐赠（在“转赠”页面），不能在站点兑换；这次最多可用 1 小时。', 'the diverted hour is not counted');
  t.same(tableCounts(db), before, 'nothing written');
  const haircut = await coordinator.post(`${url}/baskets`, { idempotency_key: key(), [`qty_${itemId(station, '理发')}`]: '1' });
  t.equal(haircut.statusCode, 303, 'the own hour is spendable (counting the diverted hour as team credit would leave none)');
  t.ok(verifyLedger(db.$client).ok);
});

t.test('gifts only to a spouse or lineal relative aged 60+ (Nanjing); the gift row names the version', async (t) => {
  const { app, db, addMember, memberNamed } = await withRules({ spouse_lineal: '1' });
  t.teardown(() => app.close());
  const giver = memberNamed('龙秀英');
  const spouse = memberNamed('杨国富'); // registered 夫妻 in the demo, aged 70
  const brother = await addMember('钱兄长', '1950-03-01', 0);
  const daughter = await addMember('钱女儿', '1990-03-01', 0);
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/gifts');
  for (const [relative, kind, relation] of [[brother, 'sibling', '兄妹'], [daughter, 'parent_child', '母女']] as const) {
    t.equal((await coordinator.post('/gifts/relatives', { member: giver.cardNumber, relative: relative.cardNumber, relation_kind: kind, relation })).statusCode, 303, `${relation} registered`);
  }
  const gift = (to: string) => coordinator.post('/gifts', { kind: 'gift', from: giver.cardNumber, to, amount_hours: '', amount_minutes: '30', pin, idempotency_key: key() });
  const before = tableCounts(db);
  const sibling = await gift(brother.cardNumber);
  t.equal(sibling.statusCode, 409);
  t.match(visibleText(sibling.body), '按政策第 2 版，只能转赠给登记的配偶或直系亲属（父母、子女、祖孙）。');
  const young = await gift(daughter.cardNumber);
  t.equal(young.statusCode, 409);
  t.match(visibleText(young.body), '按政策第 2 版，受赠的亲属须年满 60 岁。');
  t.same(tableCounts(db), before, 'refused gifts write nothing');
  const allowed = await gift(spouse.cardNumber);
  t.equal(allowed.statusCode, 303);
  t.equal(scalarOf(db, 'SELECT policy_version_id FROM member_gifts WHERE from_member_id = ? ORDER BY id DESC LIMIT 1', giver.id), scalarOf(db, 'SELECT id FROM policy_versions WHERE version_number = 2'));
  t.match(visibleText((await coordinator.get(allowed.headers.location as string)).body), '政策第 2 版', 'the notice names the version');
});

t.test('which registered relations count as spouse or lineal: the kind chosen from the list, never the typed words', async (t) => {
  for (const kind of ['spouse', 'parent_child', 'grandparent_grandchild'] as const) t.ok(isSpouseOrLineal(kind), kind);
  for (const kind of ['sibling', 'in_law', 'other'] as const) t.notOk(isSpouseOrLineal(kind), kind);

  const { app, db, addMember, memberNamed } = await withRules({ spouse_lineal: '1' });
  t.teardown(() => app.close());
  const giver = memberNamed('龙秀英');
  const goddaughter = await addMember('钱干女', '1950-05-01', 0);
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/gifts');
  const register = (fields: Record<string, string>) => coordinator.post('/gifts/relatives', { member: giver.cardNumber, relative: goddaughter.cardNumber, ...fields });
  const before = tableCounts(db);
  for (const [fields, message] of [
    [{ relation: '干女儿' }, '请从列表中选择亲属关系。'],
    [{ relation_kind: 'cousin', relation: '表妹' }, '请从列表中选择亲属关系。'],
    [{ relation_kind: 'other', relation: '一'.repeat(21) }, '具体称呼最多 20 个字。'],
  ] as const) {
    const refused = await register(fields);
    t.equal(refused.statusCode, 422, message);
    t.match(visibleText(refused.body), message);
    t.match(refused.body, `value="${goddaughter.cardNumber}"`, 'the card numbers stay in the form');
  }
  t.same(tableCounts(db), before, 'refusals write nothing');
  // 干女儿 holds 女 and 儿, which the typed-words rule read as lineal; the chosen kind decides now.
  t.equal((await register({ relation_kind: 'other', relation: '干女儿' })).statusCode, 303);
  t.same(db.$client.prepare('SELECT kind, relation FROM member_relatives WHERE relative_member_id = ?').get(goddaughter.id), { kind: 'other', relation: '干女儿' });
  const page = visibleText((await coordinator.get('/gifts')).body);
  t.match(page, '其他亲属', 'the page names the kind');
  const gift = await coordinator.post('/gifts', { kind: 'gift', from: giver.cardNumber, to: goddaughter.cardNumber, amount_hours: '', amount_minutes: '30', pin, idempotency_key: key() });
  t.equal(gift.statusCode, 409);
  t.match(visibleText(gift.body), '按政策第 2 版，只能转赠给登记的配偶或直系亲属（父母、子女、祖孙）。');
});

t.test('short stock is kept for empty-nest elders aged 80+: others are refused, the clerk sees the list', async (t) => {
  const { app, db, addMember, memberNamed, itemId, registerAsElder } = await withRules({ priority_threshold: '3' });
  t.teardown(() => app.close());
  const village = String(scalarOf(db, 'SELECT village_code FROM partner_sites WHERE id = 1'));
  const eggs = itemId(1, '鸡蛋 10 个');
  t.equal(scalarOf(db, 'SELECT stock - reserved FROM site_items WHERE id = ?', eggs), 3, 'three boxes of eggs left at the love supermarket');
  const elder = await addMember('钱高龄', '1940-02-01', 300, village);
  registerAsElder(elder, '钱高龄', '1940-02-01', village, ['empty_nest', 'advanced_age']);
  const younger = await addMember('钱空巢', '1950-02-01', 300, village);
  registerAsElder(younger, '钱空巢', '1950-02-01', village, ['empty_nest']);

  const clerk = await signedInAs(app, 'clerk');
  const page = visibleText((await clerk.get('/counter/1')).body);
  t.match(page, '库存紧张：优先留给 80 岁以上空巢老人');
  t.match(page, '鸡蛋 10 个：剩 3 件');
  t.match(page, '钱*龄（86 岁）', 'the elder is listed, name masked');
  t.notMatch(page, '钱*巢', 'an empty-nest elder under 80 is not');

  const before = tableCounts(db);
  for (const member of [memberNamed('龙秀英'), younger]) {
    const refused = await clerk.post(`${await openCounter(clerk, 1, member.cardNumber)}/baskets`, { idempotency_key: key(), [`qty_${eggs}`]: '1' });
    t.equal(refused.statusCode, 409);
    t.match(visibleText(refused.body), '按政策第 2 版，「鸡蛋 10 个」只剩 3 件，优先留给 80 岁以上的空巢老人。');
  }
  t.same(tableCounts(db), before, 'nothing written');
  const allowed = await clerk.post(`${await openCounter(clerk, 1, elder.cardNumber)}/baskets`, { idempotency_key: key(), [`qty_${eggs}`]: '1' });
  t.equal(allowed.statusCode, 303, 'the 86-year-old empty-nest elder gets the eggs');
});
