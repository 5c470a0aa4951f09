import t from 'tap';
import { auditLog } from '../../../../src/db/schema/core.ts';
import { elderCategories, elderConsents, elders } from '../../../../src/db/schema/people.ts';
import { registerElder, type ElderInput } from '../../../../src/domain/people/elders/register.ts';
import { listAudit } from '../../../../src/domain/audit/audit.ts';
import { getElder, listElders } from '../../../../src/domain/people/elders/query.ts';
import { closeElder, updateElderCare } from '../../../../src/domain/people/elders/update.ts';
import { registerMember } from '../../../../src/domain/people/members/register.ts';
import { translator } from '../../../../src/i18n/index.ts';
import { peopleFixture, villages } from '../fixture.ts';

const zh = translator('zh-CN');
const verbalBySelf = { givenBy: 'self' as const, method: 'verbal' as const };

function elder(f: ReturnType<typeof peopleFixture>, sequence: number, overrides: Partial<ElderInput> = {}): ElderInput {
  return {
    realName: '田秀英',
    idNumber: f.idNumber(sequence, '1940-06-01'),
    villageCode: villages.hongqi,
    categories: ['living_alone'],
    consent: verbalBySelf,
    familyContactName: '田大军',
    familyContactRelation: '儿子',
    familyContactPhone: '13912345678',
    ...overrides,
  };
}

t.test('an elder is registered with categories, default monthly visits and consent records', async (t) => {
  const f = peopleFixture();
  const member = registerMember(f.context, f.coordinatorA, { realName: '田秀英', phone: '13711110000', idNumber: f.idNumber(1, '1940-06-01'), villageCode: villages.hongqi });
  t.ok(member.ok);
  const result = registerElder(f.context, f.coordinatorA, elder(f, 1, {
    memberId: member.ok ? member.value.memberId : null,
    categories: ['living_alone', 'advanced_age', 'semi_disabled'],
    sensitiveConsent: { givenBy: 'family', givenByName: '田大军', method: 'written' },
  }));
  t.ok(result.ok);
  if (!result.ok) return;
  const row = f.db.select().from(elders).get()!;
  t.equal(row.visitIntervalDays, 30, 'monthly by default');
  t.equal(row.memberId, member.ok ? member.value.memberId : -1);
  t.same(f.db.select().from(elderCategories).all().map((c) => [c.category, c.sensitive]).sort(), [['advanced_age', false], ['living_alone', false], ['semi_disabled', true]]);
  t.same(f.db.select().from(elderConsents).all().map((c) => [c.purpose, c.givenBy, c.method, c.recordedByUserId]), [['registry', 'self', 'verbal', f.coordinatorA.userId], ['sensitive_health', 'family', 'written', f.coordinatorA.userId]]);
  const detail = getElder(f.context, f.coordinatorA, result.value.elderId);
  t.ok(detail.ok);
  if (detail.ok) {
    t.same(detail.value.sensitiveCategories, ['semi_disabled']);
    t.equal(detail.value.maskedFamilyContactPhone, '139****5678');
    t.equal(detail.value.age, 86);
  }
  t.same(f.db.select().from(auditLog).all().map((a) => a.action), ['member.register', 'elder.register', 'elder.sensitive_view'], 'viewing health data is audited');
});

t.test('rejections: sensitive categories without separate consent, no consent, too young, 高龄 under 80, unknown category, duplicate, scope', async (t) => {
  const f = peopleFixture();
  const cases: [Partial<ElderInput>, string, number][] = [
    [{ categories: ['disabled'] }, 'people.error.sensitive_consent_required', 422],
    [{ consent: null }, 'people.error.consent_required', 422],
    [{ idNumber: f.idNumber(2, '1970-01-01') }, 'people.error.elder_too_young', 422],
    [{ idNumber: f.idNumber(3, '1950-01-01'), categories: ['advanced_age'] }, 'people.error.advanced_age_under_80', 422],
    [{ categories: ['rich'] }, 'people.error.category_unknown', 422],
    [{ categories: [] }, 'people.error.category_required', 422],
    [{ visitIntervalDays: 0 }, 'people.error.visit_interval_invalid', 422],
    [{ villageCode: villages.xinqiao }, 'people.error.out_of_scope', 403],
    // Too long is refused with the limit, never cut short (a counter compares the witness with this name).
    [{ familyContactName: '欧阳'.repeat(15) + '娜' }, 'common.form.tooLong', 422],
    [{ familyContactName: '龙\u202e英' }, 'people.error.family_name_invalid', 422],
    [{ familyContactRelation: '远房表舅家的大女儿的丈夫' }, 'common.form.tooLong', 422],
    [{ consent: { givenBy: 'family', givenByName: '长'.repeat(31), method: 'written' } }, 'common.form.tooLong', 422],
  ];
  for (const [overrides, code, status] of cases) {
    const result = registerElder(f.context, f.coordinatorA, elder(f, 10, overrides));
    t.same(result.ok ? null : [result.status, result.problems.map((p) => p.code)], [status, [code]], code);
  }
  t.equal(zh('people.error.sensitive_consent_required'), '失能、残疾等健康信息属于敏感个人信息，须另行取得单独同意后才能登记。');
  t.equal(f.db.select().from(elders).all().length, 0, 'nothing written');
  t.ok(registerElder(f.context, f.coordinatorA, elder(f, 10)).ok);
  const duplicate = registerElder(f.context, f.countyOffice, elder(f, 10, { villageCode: villages.dongzheng }));
  t.same(duplicate.ok ? null : [duplicate.status, zh(duplicate.problems[0]!.code, duplicate.problems[0]!.params)], [409, '该老人已在名录中：田*英（红旗村）。']);
});

t.test('the list filters by category and village; health categories only on request, audited; scope applies', async (t) => {
  const f = peopleFixture();
  const ok = (input: ElderInput, actor = f.countyOffice) => {
    const result = registerElder(f.context, actor, input);
    if (!result.ok) throw new Error(JSON.stringify(result));
    return result.value.elderId;
  };
  ok(elder(f, 20, { realName: '龙阿婆', categories: ['living_alone', 'disabled'], sensitiveConsent: verbalBySelf }));
  ok(elder(f, 21, { realName: '吴阿公', categories: ['empty_nest'], villageCode: villages.dongzheng }));
  ok(elder(f, 22, { realName: '石老汉', categories: ['living_alone', 'minimum_allowance'] }));
  ok(elder(f, 23, { realName: '杨奶奶', categories: ['left_behind'], villageCode: villages.xinqiao, idNumber: f.idNumber(23, '1944-01-01', '433122') }), f.coordinatorB);
  const names = (result: ReturnType<typeof listElders>) => (result.ok ? result.value.items.map((i) => i.realName).sort() : result.status);
  t.same(names(listElders(f.context, f.countyOffice, {})), ['吴阿公', '石老汉', '龙阿婆']);
  t.same(names(listElders(f.context, f.countyOffice, { category: 'living_alone' })), ['石老汉', '龙阿婆']);
  t.same(names(listElders(f.context, f.countyOffice, { villageCode: villages.dongzheng })), ['吴阿公']);
  t.same(names(listElders(f.context, f.coordinatorA, {})), ['石老汉', '龙阿婆'], "a village coordinator sees their village's elders only");
  t.same(names(listElders(f.context, f.coordinatorB, {})), ['杨奶奶']);
  t.same(names(listElders(f.context, f.countyOffice, { query: 'lap' })), ['龙阿婆'], 'initials search');
  const auditsBefore = f.db.select().from(auditLog).all().filter((a) => a.action === 'elder.sensitive_view').length;
  const plain = listElders(f.context, f.countyOffice, { category: 'living_alone' });
  t.same(plain.ok && plain.value.items.map((i) => i.sensitiveCategories), [null, null], 'no health data unless asked');
  t.equal(f.db.select().from(auditLog).all().filter((a) => a.action === 'elder.sensitive_view').length, auditsBefore, 'and no audit entry');
  const byDisability = listElders(f.context, f.countyOffice, { category: 'disabled' });
  t.same(byDisability.ok && byDisability.value.items.map((i) => [i.realName, i.sensitiveCategories]), [['龙阿婆', ['disabled']]]);
  t.equal(f.db.select().from(auditLog).all().filter((a) => a.action === 'elder.sensitive_view').length, auditsBefore + 1, 'filtering by a health category is audited');
  // Filed under the elder's village, so the county office reads it in its audit view (entries without a region it does not see).
  const countyView = () => listAudit(f.db, { regionPaths: ['/430000/433100/433123/'], includeUnscoped: false, limit: 100 }).filter((a) => a.action === 'elder.sensitive_view');
  t.same(countyView().map((a) => a.regionCode), [villages.hongqi]);
  const all = listElders(f.context, f.countyOffice, { includeSensitive: true });
  t.ok(all.ok);
  t.same(countyView().map((a) => a.regionCode).sort(), [villages.hongqi, villages.hongqi, villages.dongzheng].sort(), 'a list over two villages is filed once under each');
  t.equal(names(listElders(f.context, f.nobody, {})), 403);
  const outsideElder = f.db.select().from(elders).all().find((e) => e.villageCode === villages.xinqiao)!;
  const denied = getElder(f.context, f.coordinatorA, outsideElder.id);
  t.equal(denied.ok ? 0 : denied.status, 404);
});

t.test('updating care: health categories need a consent on record; closing needs a reason and frees the ID for a new record', async (t) => {
  const f = peopleFixture();
  const created = registerElder(f.context, f.coordinatorA, elder(f, 30, { categories: ['living_alone'] }));
  if (!created.ok) return t.fail('register');
  const id = created.value.elderId;
  const needsConsent = updateElderCare(f.context, f.coordinatorA, id, { categories: ['living_alone', 'disabled'], visitIntervalDays: 14 });
  t.same(needsConsent.ok ? null : needsConsent.problems.map((p) => p.code), ['people.error.sensitive_consent_required']);
  const outsider = updateElderCare(f.context, f.coordinatorB, id, { categories: ['living_alone'], visitIntervalDays: 14 });
  t.equal(outsider.ok ? 0 : outsider.status, 404);
  t.equal(f.db.select().from(elders).get()!.visitIntervalDays, 30, 'refusals write nothing');
  t.ok(updateElderCare(f.context, f.coordinatorA, id, { categories: ['living_alone', 'disabled'], visitIntervalDays: 14, familyContactPhone: '0743-3221234', sensitiveConsent: { givenBy: 'family', method: 'written' } }).ok);
  t.equal(f.db.select().from(elders).get()!.visitIntervalDays, 14);
  t.same(f.db.select().from(elderConsents).all().map((c) => c.purpose), ['registry', 'sensitive_health']);
  t.ok(updateElderCare(f.context, f.coordinatorA, id, { categories: ['disabled'], visitIntervalDays: 7 }).ok, 'the consent on record covers later changes');
  const noReason = closeElder(f.context, f.coordinatorA, id, ' ');
  t.same(noReason.ok ? null : noReason.problems[0]!.code, 'people.error.reason_required');
  t.ok(closeElder(f.context, f.coordinatorA, id, '已迁居外地').ok);
  const list = listElders(f.context, f.coordinatorA, {});
  t.same(list.ok && list.value.total, 0, 'a closed record leaves the list');
  t.ok(registerElder(f.context, f.coordinatorA, elder(f, 30)).ok, 'the same person can be registered again later');
});
