import t from 'tap';
import { demoPhone, signedInAs, visibleText } from '../../helpers/web.ts';
import { key, tableCounts } from './helpers.ts';
import { openCounter, pin, policyApp, policyForm, scalarOf, station } from './policy-helpers.ts';

/**
 * Issue 20, dated policy versions: a version is published for a future date,
 * the version in force on a decision's day decides, and the decision's row
 * names it. The clock is the suite's fixed instant, 2026-11-23 10:00 Shanghai.
 */
const december = Date.UTC(2026, 11, 1, 2, 0, 0); // 2026-12-01 10:00 Shanghai

t.test('care age 60 → 65 from next month: a 62-year-old buys care today, is refused after the date, and the redemption names the version', async (t) => {
  const { app, db, clock, addMember, itemId } = await policyApp();
  t.teardown(() => app.close());
  const admin = await signedInAs(app, 'admin');
  await admin.get('/policy');
  const published = await admin.post('/policy/versions', policyForm({ effective_date: '2026-12-01', care_age: '65', note: '2026 年新规' }));
  t.equal(published.statusCode, 303);
  const version2 = db.$client.prepare('SELECT id, version_number AS number, effective_date AS date, rules FROM policy_versions ORDER BY id DESC LIMIT 1').get() as { id: number; number: number; date: string; rules: string };
  t.same({ number: version2.number, date: version2.date, careAge: JSON.parse(version2.rules).careAgeYears }, { number: 2, date: '2026-12-01', careAge: 65 });
  const version1 = Number(scalarOf(db, 'SELECT id FROM policy_versions WHERE version_number = 1'));
  const page = visibleText((await admin.get('/policy?published=1')).body);
  t.match(page, '新版本已发布，到生效日期才开始执行。');
  t.match(page, '现行版本：第 1 版（2000-01-01 起生效）');
  t.match(page, /即将生效的版本\s*第 2 版，2026-12-01 起生效\s*2026 年新规/);

  const member = await addMember('钱六二', '1964-05-01', 600);
  const haircut = itemId(station, '理发');
  let coordinator = await signedInAs(app, 'coordinator');
  const today = await openCounter(coordinator, station, member.cardNumber);
  const placed = await coordinator.post(`${today}/baskets`, { idempotency_key: key(), [`qty_${haircut}`]: '1' });
  t.equal(placed.statusCode, 303, 'aged 62 under version 1 (care from 60): the basket is held');
  const confirmed = await coordinator.post(`${placed.headers.location}/confirm`, { pin });
  t.equal(confirmed.statusCode, 303);
  t.match(visibleText((await coordinator.get(confirmed.headers.location as string)).body), '适用政策 政策第 1 版', 'the receipt names the version');
  t.equal(scalarOf(db, "SELECT policy_version_id FROM redemptions WHERE member_id = ? AND status = 'confirmed'", member.id), version1, 'the redemption row names version 1');
  t.match(String(scalarOf(db, "SELECT detail FROM audit_log WHERE action = 'redemption.hold' ORDER BY id DESC LIMIT 1")), `"policyVersionId":${version1}`);

  clock.nowMs = december;
  coordinator = await signedInAs(app, 'coordinator');
  const after = await openCounter(coordinator, station, member.cardNumber);
  const before = tableCounts(db);
  const refused = await coordinator.post(`${after}/baskets`, { idempotency_key: key(), [`qty_${haircut}`]: '1' });
  t.equal(refused.statusCode, 409);
  t.match(visibleText(refused.body), '「理发」是照护服务，按政策第 2 版 65 岁以上才能用时间兑换。');
  t.same(tableCounts(db), before, 'the refusal writes nothing');
});

t.test('publishing for today or the past is refused; only the administrator publishes; an upcoming version is replaced or withdrawn, one in force is not', async (t) => {
  const { app, db, clock } = await policyApp();
  t.teardown(() => app.close());
  const versions = () => Number(scalarOf(db, 'SELECT count(*) FROM policy_versions'));
  const audits = () => Number(scalarOf(db, 'SELECT count(*) FROM audit_log'));
  const admin = await signedInAs(app, 'admin');
  await admin.get('/policy');
  const others = await Promise.all((['office', 'office-city', 'coordinator', 'clerk', 'volunteer'] as const).map(async (role) => ({ role, browser: await signedInAs(app, role) })));
  const written = { versions: versions(), audits: audits() };
  for (const date of ['2026-11-23', '2026-01-01']) {
    const refused = await admin.post('/policy/versions', policyForm({ effective_date: date, care_age: '65' }));
    t.equal(refused.statusCode, 422, `${date}: refused`);
    t.match(visibleText(refused.body), '生效日期必须晚于今天（2026-11-23）：政策不能改今天或以前已经办过的事。');
    t.match(refused.body, /name="care_age"[^>]*value="65"/, 'what was typed stays in the form');
  }
  const malformed = await admin.post('/policy/versions', policyForm({ effective_date: '2026-13-01' }));
  t.equal(malformed.statusCode, 422);
  t.match(visibleText(malformed.body), '请填写正确的生效日期，例如 2027-01-01。');
  for (const { role, browser } of others) {
    t.equal((await browser.get('/policy')).statusCode, 403, `${role}: no policy page`);
    t.equal((await browser.post('/policy/versions', policyForm({ effective_date: '2026-12-01' }))).statusCode, 403, `${role}: cannot publish`);
  }
  t.same({ versions: versions(), audits: audits() }, written, 'refusals write nothing');

  const first = policyForm({ effective_date: '2026-12-01', care_age: '65' });
  const taps = await Promise.all([admin.post('/policy/versions', first), admin.post('/policy/versions', first)]);
  t.same(taps.map((answer) => answer.statusCode), [303, 303], 'a double tap: both answered as published');
  t.equal(versions(), 2, 'one version published by the double tap (one idempotency key)');
  const reused = await admin.post('/policy/versions', { ...first, care_age: '66' });
  t.equal(reused.statusCode, 409, 'the same key with other rules is refused');
  t.equal(versions(), 2);
  t.equal((await admin.post('/policy/versions', policyForm({ effective_date: '2026-12-01', care_age: '70' }))).statusCode, 303, 'publishing again for the same date replaces the upcoming version');
  t.same(db.$client.prepare('SELECT version_number AS n, withdrawn_at_ms IS NOT NULL AS withdrawn FROM policy_versions ORDER BY id').all(), [{ n: 1, withdrawn: 0 }, { n: 2, withdrawn: 1 }, { n: 3, withdrawn: 0 }]);
  const page = visibleText((await admin.get('/policy')).body);
  const adminName = String(scalarOf(db, 'SELECT display_name FROM users WHERE phone = ?', demoPhone('admin')));
  t.match(page, new RegExp(`第 2 版，2026-12-01 起生效 · ${adminName} 发布于 [^·]+ · 已于 .+ 撤回`), 'the history names who published it and when it was withdrawn');
  const version1 = Number(scalarOf(db, 'SELECT id FROM policy_versions WHERE version_number = 1'));
  const inForce = await admin.post(`/policy/versions/${version1}/withdraw`, {});
  t.equal(inForce.statusCode, 409);
  t.match(visibleText(inForce.body), '第 1 版已经生效，不能撤回；请发布一个新版本。');
  const version3 = Number(scalarOf(db, 'SELECT id FROM policy_versions WHERE version_number = 3'));
  t.equal((await admin.post(`/policy/versions/${version3}/withdraw`, {})).statusCode, 303);
  const withdrawnAt = scalarOf(db, 'SELECT withdrawn_at_ms FROM policy_versions WHERE id = ?', version3);
  t.equal((await admin.post(`/policy/versions/${version3}/withdraw`, {})).statusCode, 303, 'withdrawing again (a double tap) answers the same');
  t.equal(scalarOf(db, 'SELECT withdrawn_at_ms FROM policy_versions WHERE id = ?', version3), withdrawnAt, 'and changes nothing');
  t.equal((await admin.post('/policy/versions/999/withdraw', {})).statusCode, 404);
  t.match(visibleText((await admin.get('/policy?withdrawn=1')).body), '没有即将生效的版本。');
  clock.nowMs = december;
  const later = await signedInAs(app, 'admin');
  t.match(visibleText((await later.get('/policy')).body), '现行版本：第 1 版', 'the withdrawn version never took effect');
});

t.test('minimum verified hours before a first redemption (Guangzhou rule): counted from approved service; a member who redeemed before is not asked again', async (t) => {
  const { app, db, clock, addMember, memberNamed, itemId } = await policyApp();
  t.teardown(() => app.close());
  const admin = await signedInAs(app, 'admin');
  await admin.get('/policy');
  t.equal((await admin.post('/policy/versions', policyForm({ effective_date: '2026-11-24', minimum_hours: '15' }))).statusCode, 303);
  clock.nowMs = Date.UTC(2026, 10, 24, 2, 0, 0);
  const coordinator = await signedInAs(app, 'coordinator');
  const haircut = itemId(station, '理发');

  const newcomer = await addMember('钱新来', '1950-01-01', 600);
  const newcomerUrl = await openCounter(coordinator, station, newcomer.cardNumber);
  const before = tableCounts(db);
  const refused = await coordinator.post(`${newcomerUrl}/baskets`, { idempotency_key: key(), [`qty_${haircut}`]: '1' });
  t.equal(refused.statusCode, 409);
  t.match(visibleText(refused.body), '按政策第 2 版，首次兑换前需要至少 15 小时 已审核的服务时长，现在是 0 分钟。');
  t.same(tableCounts(db), before, 'nothing written');

  const volunteer = memberNamed('麻金花');
  t.equal(scalarOf(db, "SELECT sum(duration_minutes) FROM service_records WHERE volunteer_member_id = ? AND status IN ('approved','completed')", volunteer.id), 900, '麻金花 has 15 hours of verified service in the demo');
  // Placing the basket is the decision; the PIN comes after (and is not needed here).
  const volunteerUrl = await openCounter(coordinator, station, volunteer.cardNumber);
  const allowed = await coordinator.post(`${volunteerUrl}/baskets`, { idempotency_key: key(), [`qty_${haircut}`]: '1' });
  t.equal(allowed.statusCode, 303, 'exactly the minimum: allowed');
  t.equal(scalarOf(db, "SELECT policy_version_id FROM redemptions WHERE member_id = ? AND status = 'held'", volunteer.id), scalarOf(db, 'SELECT id FROM policy_versions WHERE version_number = 2'));

  const regular = memberNamed('龙秀英');
  t.ok(Number(scalarOf(db, "SELECT count(*) FROM redemptions WHERE member_id = ? AND status = 'confirmed'", regular.id)) > 0, '龙秀英 has redeemed before');
  const regularUrl = await openCounter(coordinator, station, regular.cardNumber);
  t.equal((await coordinator.post(`${regularUrl}/baskets`, { idempotency_key: key(), [`qty_${haircut}`]: '1' })).statusCode, 303, 'not a first redemption: the rule does not apply');
});

t.test('a service request for oneself names the version that allowed it; after a new care age takes effect it is refused', async (t) => {
  const { app, db, clock } = await policyApp();
  t.teardown(() => app.close());
  const admin = await signedInAs(app, 'admin');
  await admin.get('/policy');
  t.equal((await admin.post('/policy/versions', policyForm({ effective_date: '2026-12-01', care_age: '70' }))).statusCode, 303);
  let volunteer = await signedInAs(app, 'volunteer'); // 王秀英, 67
  await volunteer.get('/requests');
  const form = () => ({ category: 'cleaning', description: '打扫院子', when: '2026-12-05', place: '家中', offered_hours: '1', offered_minutes: '', payer: 'wallet', idempotency_key: key() });
  const posted = await volunteer.post('/requests', form());
  t.equal(posted.statusCode, 303, visibleText(posted.body).slice(0, 200));
  t.equal(scalarOf(db, 'SELECT policy_version_id FROM service_requests ORDER BY id DESC LIMIT 1'), scalarOf(db, 'SELECT id FROM policy_versions WHERE version_number = 1'));
  t.match(visibleText((await volunteer.get('/requests')).body), '发布时适用政策第 1 版');

  clock.nowMs = december;
  volunteer = await signedInAs(app, 'volunteer');
  await volunteer.get('/requests');
  const before = tableCounts(db);
  const refused = await volunteer.post('/requests', form());
  t.equal(refused.statusCode, 409);
  t.match(visibleText(refused.body), '按政策第 2 版 70 岁以上才能用时间请人照护。');
  t.same(tableCounts(db), before, 'nothing written');
});
