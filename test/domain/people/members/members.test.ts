import t from 'tap';
import { eq } from 'drizzle-orm';
import { auditLog } from '../../../../src/db/schema/core.ts';
import { memberStatusEvents, members } from '../../../../src/db/schema/people.ts';
import { findCardHolder, printableCards, reissueCard } from '../../../../src/domain/people/members/cards.ts';
import { registerMember, reviewSelfRegistration, selfRegisterMember } from '../../../../src/domain/people/members/register.ts';
import { exportMemberData } from '../../../../src/domain/people/members/export.ts';
import { getMember, pendingRegistrations } from '../../../../src/domain/people/members/query.ts';
import { changeMemberStatus } from '../../../../src/domain/people/members/status.ts';
import { cardQrSvg, cardUrl, isValidCardNumber } from '../../../../src/domain/people/members/card.ts';
import { translator } from '../../../../src/i18n/index.ts';
import { peopleFixture, villages } from '../fixture.ts';
import { actorWithRoles } from '../../../helpers/actor.ts';

const zh = translator('zh-CN');

function memberCount(db: ReturnType<typeof peopleFixture>['db']): number {
  return db.select().from(members).all().length;
}

t.test('a coordinator registers a member in their village: active, card issued, ID stored encrypted', async (t) => {
  const f = peopleFixture();
  const idNumber = f.idNumber(11, '1958-03-07');
  const result = registerMember(f.context, f.coordinatorA, { realName: ' 张三丰 ', phone: '138 1234 5678', idNumber, villageCode: villages.hongqi });
  t.ok(result.ok);
  if (!result.ok) return;
  t.ok(isValidCardNumber(result.value.cardNumber!), 'card number has a valid Luhn digit');
  t.match(result.value.cardNumber, /^433123\d{7}$/, 'the county code, then 6 digits and the Luhn digit');
  const row = f.db.select().from(members).where(eq(members.id, result.value.memberId)).get()!;
  t.equal(row.status, 'active');
  t.equal(row.realName, '张三丰');
  t.equal(row.phone, '13812345678');
  t.equal(row.birthDate, '1958-03-07');
  t.equal(row.gender, 'male', '17th digit 1 is odd: male');
  t.equal(row.namePinyin, 'zhangsanfeng');
  t.equal(row.nameInitials, 'zsf');
  t.notOk(row.idNumberCiphertext.includes(idNumber), 'ID number not stored in clear');
  t.notOk(JSON.stringify(row).includes(idNumber.slice(6)), 'no run of the ID number anywhere in the row');
  t.notOk(JSON.stringify(row).includes(result.value.cardToken!), 'card token not stored in clear');
  const detail = getMember(f.context, f.coordinatorA, result.value.memberId);
  t.ok(detail.ok);
  if (detail.ok) {
    t.equal(detail.value.maskedIdNumber, `${idNumber.slice(0, 6)}********${idNumber.slice(-4)}`);
    t.equal(detail.value.maskedPhone, '138****5678');
    t.equal(detail.value.age, 68);
  }
  const audits = f.db.select().from(auditLog).all();
  t.same(audits.map((a) => a.action), ['member.register']);
  t.notOk(JSON.stringify(audits).includes(idNumber), 'audit holds no ID number');
});

t.test('new card numbers are random within the county, not sequential (issue 12 item 6)', async (t) => {
  const f = peopleFixture();
  // New card numbers are not sequential (issue 12 item 6): fifty cards in one county are not a run of neighbours.
  const numbers = Array.from({ length: 50 }, (_unused, index) => {
    const next = registerMember(f.context, f.coordinatorA, { realName: '石阿公', phone: null, idNumber: f.idNumber(100 + index, '1950-01-01'), villageCode: villages.hongqi });
    return next.ok ? Number(next.value.cardNumber!.slice(6, 12)) : -1;
  });
  t.notOk(numbers.includes(-1), 'fifty more members registered');
  t.equal(new Set(numbers).size, 50, 'all different');
  const gaps = numbers.slice(1).map((value, index) => Math.abs(value - numbers[index]!));
  t.ok(gaps.filter((gap) => gap <= 100).length <= 2, `neighbouring cards are not within 100 of each other (gaps ${gaps.slice(0, 5).join(', ')}…)`);
});

t.test('bad ID numbers, phone and name are each named, in Chinese, and nothing is written', async (t) => {
  const f = peopleFixture();
  const good = f.idNumber(11);
  const badCheck = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
  const cases: [string, string][] = [
    [badCheck, 'people.error.id_check_digit'],
    ['43312320990101001' + 'X', 'people.error.id_check_digit'],
    [f.idNumber(12, '2027-01-01'), 'people.error.id_birth_date_future'],
    [f.idNumber(13, '1958-02-30'), 'people.error.id_birth_date_invalid'],
    ['4331231958030701', 'people.error.id_format'],
  ];
  for (const [idNumber, code] of cases) {
    const result = registerMember(f.context, f.coordinatorA, { realName: '李四', phone: '13900001111', idNumber, villageCode: villages.hongqi });
    t.notOk(result.ok, code);
    if (result.ok) continue;
    t.equal(result.status, 422);
    t.same(result.problems.map((p) => [p.code, p.field]), [[code, 'idNumber']]);
    t.notOk(JSON.stringify(result.problems).includes(idNumber), 'the number is not echoed');
  }
  t.equal(zh('people.error.id_check_digit'), '身份证号校验位不对，可能有一位抄错了，请逐位核对。');
  const all = registerMember(f.context, f.coordinatorA, { realName: '', phone: '12345', idNumber: '', villageCode: '999' });
  t.notOk(all.ok);
  if (!all.ok) t.same(all.problems.map((p) => p.field).sort(), ['idNumber', 'phone', 'realName', 'villageCode']);
  t.equal(memberCount(f.db), 0);
  t.equal(f.db.select().from(auditLog).all().length, 0);
});

t.test('duplicates by ID number or phone are refused, pointing to the existing member masked', async (t) => {
  const f = peopleFixture();
  const first = registerMember(f.context, f.coordinatorA, { realName: '王小明', phone: '13811112222', idNumber: f.idNumber(21), villageCode: villages.hongqi });
  t.ok(first.ok);
  const byId = registerMember(f.context, f.countyOffice, { realName: '王晓明', phone: '13833334444', idNumber: f.idNumber(21).toLowerCase(), villageCode: villages.dongzheng });
  t.notOk(byId.ok);
  if (!byId.ok) {
    t.equal(byId.status, 409);
    t.equal(byId.problems[0]!.code, 'people.error.duplicate_id_number');
    t.equal(zh(byId.problems[0]!.code, byId.problems[0]!.params), `该身份证号已登记：王*明（卡号 ${first.ok ? first.value.cardNumber : ''}，红旗村）。`);
  }
  const byPhone = registerMember(f.context, f.coordinatorA, { realName: '赵六', phone: '138-1111-2222', idNumber: f.idNumber(22), villageCode: villages.hongqi });
  t.notOk(byPhone.ok);
  if (!byPhone.ok) {
    t.equal(byPhone.problems[0]!.code, 'people.error.duplicate_phone');
    t.equal(byPhone.problems[0]!.params!.name, '王*明', 'points to the existing member, name masked');
    t.equal(byPhone.problems[0]!.field, 'phone');
  }
  t.equal(memberCount(f.db), 1);
});

t.test("another coordinator's village is out of scope", async (t) => {
  const f = peopleFixture();
  const result = registerMember(f.context, f.coordinatorB, { realName: '刘七', phone: '13855556666', idNumber: f.idNumber(31), villageCode: villages.hongqi });
  t.notOk(result.ok);
  if (!result.ok) {
    t.equal(result.status, 403);
    t.equal(zh(result.problems[0]!.code, result.problems[0]!.params), '您没有权限管理“红旗村”的人员，请联系该村的协管员。');
  }
  const sameTownship = registerMember(f.context, f.coordinatorA, { realName: '刘七', phone: '13855556666', idNumber: f.idNumber(31), villageCode: villages.dongzheng });
  t.equal(sameTownship.ok ? 0 : sameTownship.status, 403, 'a neighbouring village in the same township is not in a village coordinator scope');
  const office = registerMember(f.context, f.countyOffice, { realName: '刘七', phone: '13855556666', idNumber: f.idNumber(31), villageCode: villages.dongzheng });
  t.ok(office.ok, 'the county office covers every village of the county');
  const clerk = registerMember(f.context, f.nobody, { realName: '刘八', phone: '13855557777', idNumber: f.idNumber(32), villageCode: villages.hongqi });
  t.equal(clerk.ok ? 0 : clerk.status, 403, 'a clerk cannot register members');
  t.equal(memberCount(f.db), 1);
  if (office.ok) {
    t.equal(getMember(f.context, f.coordinatorB, office.value.memberId).ok, false, 'coordinator B cannot read it');
  }
});

t.test('self-registration waits for the village coordinator, who approves or rejects with a reason', async (t) => {
  const f = peopleFixture();
  const pending = selfRegisterMember(f.context, { realName: '单田芳', phone: '13700001111', idNumber: f.idNumber(41, '1955-05-05'), villageCode: villages.hongqi });
  t.ok(pending.ok);
  if (!pending.ok) return;
  t.equal(pending.value.cardNumber, null, 'no card before approval');
  const duplicate = selfRegisterMember(f.context, { realName: '某人', phone: '13700009999', idNumber: f.idNumber(41, '1955-05-05'), villageCode: villages.dongzheng });
  t.notOk(duplicate.ok);
  if (!duplicate.ok) t.same(duplicate.problems, [{ code: 'people.error.already_registered_public' }], 'the public form reveals nothing about the existing member');
  const queueB = pendingRegistrations(f.context, f.coordinatorB);
  t.same(queueB.ok && queueB.value.items.length, 0, "coordinator B does not see A's village queue");
  const queueA = pendingRegistrations(f.context, f.coordinatorA);
  t.same(queueA.ok && queueA.value.items.map((m) => m.realName), ['单田芳']);
  const wrongCoordinator = reviewSelfRegistration(f.context, f.coordinatorB, pending.value.memberId, { decision: 'approve' });
  t.equal(wrongCoordinator.ok ? 0 : wrongCoordinator.status, 404);
  const noReason = reviewSelfRegistration(f.context, f.coordinatorA, pending.value.memberId, { decision: 'reject', reason: '  ' });
  t.same(noReason.ok ? null : noReason.problems[0]!.code, 'people.error.reason_required');
  const approved = reviewSelfRegistration(f.context, f.coordinatorA, pending.value.memberId, { decision: 'approve' });
  t.ok(approved.ok && approved.value.cardToken);
  const again = reviewSelfRegistration(f.context, f.coordinatorA, pending.value.memberId, { decision: 'reject', reason: 'x' });
  t.equal(again.ok ? 0 : again.status, 409);
  const row = f.db.select().from(members).where(eq(members.id, pending.value.memberId)).get()!;
  t.equal(row.status, 'active');
  t.equal(row.source, 'self');
  t.same(f.db.select().from(memberStatusEvents).all().map((e) => [e.fromStatus, e.toStatus]), [[null, 'pending'], ['pending', 'active']]);
});

t.test('a rejected self-registration does not block a correct one', async (t) => {
  const f = peopleFixture();
  const first = selfRegisterMember(f.context, { realName: '错村人', phone: '13700002222', idNumber: f.idNumber(51), villageCode: villages.dongzheng });
  t.ok(first.ok);
  if (!first.ok) return;
  const rejected = reviewSelfRegistration(f.context, f.countyOffice, first.value.memberId, { decision: 'reject', reason: '不是本村村民，请到红旗村登记' });
  t.ok(rejected.ok);
  t.equal(f.db.select().from(members).where(eq(members.id, first.value.memberId)).get()!.statusReason, '不是本村村民，请到红旗村登记');
  const second = registerMember(f.context, f.coordinatorA, { realName: '错村人', phone: '13700002222', idNumber: f.idNumber(51), villageCode: villages.hongqi });
  t.ok(second.ok);
});

t.test('card reissue: the old token stops working, the card number stays', async (t) => {
  const f = peopleFixture();
  const created = registerMember(f.context, f.coordinatorA, { realName: '陈一', phone: null, idNumber: f.idNumber(61), villageCode: villages.hongqi });
  t.ok(created.ok);
  if (!created.ok) return;
  const oldToken = created.value.cardToken!;
  const found = findCardHolder(f.context, { token: oldToken });
  t.same(found.ok && found.value.realName, '陈一');
  const byNumber = findCardHolder(f.context, { cardNumber: created.value.cardNumber! });
  t.same(byNumber.ok && byNumber.value.memberId, created.value.memberId);
  const mistyped = findCardHolder(f.context, { cardNumber: created.value.cardNumber!.slice(0, 12) + ((Number(created.value.cardNumber![12]) + 1) % 10) });
  t.same(mistyped.ok ? null : mistyped.problems[0]!.code, 'people.error.card_number_invalid');
  const outsider = reissueCard(f.context, f.coordinatorB, created.value.memberId);
  t.equal(outsider.ok ? 0 : outsider.status, 404);
  const reissued = reissueCard(f.context, f.coordinatorA, created.value.memberId);
  t.ok(reissued.ok);
  if (!reissued.ok) return;
  t.equal(reissued.value.cardNumber, created.value.cardNumber);
  t.equal(reissued.value.cardVersion, 2);
  const stale = findCardHolder(f.context, { token: oldToken });
  t.same(stale.ok ? null : [stale.status, stale.problems[0]!.code], [404, 'people.error.card_not_found']);
  t.ok(findCardHolder(f.context, { token: reissued.value.cardToken }).ok);
  const printed = printableCards(f.context, f.coordinatorA, [created.value.memberId]);
  t.same(printed.ok && printed.value[0]!.cardToken, reissued.value.cardToken, 'the printed card carries the new token');
  const url = cardUrl('https://silver.example/', reissued.value.cardToken);
  t.equal(url, `https://silver.example/c/${reissued.value.cardToken}`);
  const svg = await cardQrSvg(url);
  t.match(svg, /^<svg [^>]*viewBox/);
});

t.test('suspend and reactivate need a reason, are audited, and a suspended card is refused', async (t) => {
  const f = peopleFixture();
  const created = registerMember(f.context, f.coordinatorA, { realName: '周二', phone: '13600001111', idNumber: f.idNumber(71), villageCode: villages.hongqi });
  if (!created.ok) return t.fail('register');
  const id = created.value.memberId;
  const noReason = changeMemberStatus(f.context, f.coordinatorA, id, 'suspend', '');
  t.same(noReason.ok ? null : [noReason.status, noReason.problems[0]!.code], [422, 'people.error.reason_required']);
  const outsider = changeMemberStatus(f.context, f.coordinatorB, id, 'suspend', '外村');
  t.equal(outsider.ok ? 0 : outsider.status, 404);
  t.equal(f.db.select().from(members).where(eq(members.id, id)).get()!.status, 'active', 'refusals write nothing');
  t.ok(changeMemberStatus(f.context, f.coordinatorA, id, 'suspend', '家属反映卡片遗失，待核实').ok);
  const card = findCardHolder(f.context, { token: created.value.cardToken! });
  t.same(card.ok ? null : [card.status, card.problems[0]!.code], [423, 'people.error.member_suspended']);
  const twice = changeMemberStatus(f.context, f.coordinatorA, id, 'suspend', 'again');
  t.same(twice.ok ? null : [twice.status, twice.problems[0]!.code], [409, 'people.error.not_active']);
  t.notOk(printableCards(f.context, f.coordinatorA, [id]).ok, 'no card printing while suspended');
  t.ok(changeMemberStatus(f.context, f.coordinatorA, id, 'reactivate', '已核实').ok);
  const actions = f.db.select().from(auditLog).all().map((a) => [a.action, a.detail]);
  t.same(actions.slice(1), [['member.suspend', JSON.stringify({ reason: '家属反映卡片遗失，待核实' })], ['member.reactivate', JSON.stringify({ reason: '已核实' })]]);
});

t.test('PIPL export holds everything about the member, for the member or staff in scope only', async (t) => {
  const f = peopleFixture();
  const idNumber = f.idNumber(81, '1950-12-01');
  const created = registerMember(f.context, f.coordinatorA, { realName: '孙九', phone: '13500001111', idNumber, villageCode: villages.hongqi });
  if (!created.ok) return t.fail('register');
  const self = actorWithRoles(f.db, { userId: 1000, memberId: created.value.memberId, roles: [{ role: 'volunteer' as const, regionCode: villages.hongqi }] });
  const stranger = actorWithRoles(f.db, { userId: 1001, memberId: 999, roles: [{ role: 'volunteer' as const, regionCode: villages.hongqi }] });
  const exported = exportMemberData(f.context, self, created.value.memberId);
  t.ok(exported.ok);
  if (exported.ok) {
    const member = exported.value.member as Record<string, unknown>;
    t.equal(member.idNumber, idNumber, 'the member gets their own ID number in clear');
    t.equal(member.phone, '13500001111');
    t.equal(member.birthDate, '1950-12-01');
    t.same((exported.value.statusHistory as unknown[]).length, 1);
    t.notOk(JSON.stringify(exported.value).includes(created.value.cardToken!), 'the token itself is not exported');
  }
  t.equal(exportMemberData(f.context, stranger, created.value.memberId).ok, false, 'another volunteer cannot export it');
  t.equal(exportMemberData(f.context, f.coordinatorB, created.value.memberId).ok, false);
  t.ok(f.db.select().from(auditLog).all().some((a) => a.action === 'member.export'));
});

t.test('the same idempotency key (a double tap or a retry) returns the first member, writes nothing more', async (t) => {
  const f = peopleFixture();
  const key = '0b3c2a4e-8f1d-4c6b-9a7e-5d2f1e0c9b8a';
  const input = { realName: '重复提交', phone: '13511112222', idNumber: f.idNumber(95), villageCode: villages.hongqi };
  const first = registerMember(f.context, f.coordinatorA, input, key);
  const second = registerMember(f.context, f.coordinatorA, input, key);
  t.ok(first.ok && second.ok);
  if (!first.ok || !second.ok) return;
  t.equal(second.value.memberId, first.value.memberId);
  t.equal(second.value.replayed, true);
  t.equal(memberCount(f.db), 1);
  const withoutKey = registerMember(f.context, f.coordinatorA, input);
  t.equal(withoutKey.ok ? 0 : withoutKey.status, 409, 'without the key it is a duplicate');
});
