import t from 'tap';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { key, redemptionApp, tableCounts } from './helpers.ts';

/**
 * Issue 14 item 3: every form that takes an amount of time takes it as 小时 +
 * 分钟 (a site's price, a voucher, a settlement, the balance cap, a service
 * request's offer), never as decimal hours; a bad amount is refused with a
 * message, keeps what was typed and writes nothing.
 */
const scalar = (db: Awaited<ReturnType<typeof redemptionApp>>['db'], sql: string, ...parameters: unknown[]) => db.$client.prepare(sql).pluck().get(...parameters);

t.test('the forms offer 小时 and 分钟 boxes, not a decimal-hours box', async (t) => {
  const { app } = await redemptionApp();
  t.teardown(() => app.close());
  const admin = await signedInAs(app, 'admin');
  const clerk = await signedInAs(app, 'clerk');
  const office = await signedInAs(app, 'office');
  const coordinator = await signedInAs(app, 'coordinator');
  const pages = {
    '/sites/1/manage': (await clerk.get('/sites/1/manage')).body,
    '/vouchers': (await office.get('/vouchers')).body,
    '/clearing': (await admin.get('/clearing')).body,
    '/requests': (await coordinator.get('/requests')).body,
  };
  for (const [path, body] of Object.entries(pages)) {
    t.notMatch(body, 'inputmode="decimal"', `${path}: no decimal box`);
    t.notMatch(visibleText(body), /可写 0\.5|（小时）|（小时，/, `${path}: no label asks for decimal hours`);
    t.match(body, /name="\w+_hours" inputmode="numeric"/, `${path}: an hours box`);
    t.match(body, /name="\w+_minutes" inputmode="numeric"/, `${path}: a minutes box`);
  }
  t.match(pages['/sites/1/manage'], /id="item-price-hours" name="price_hours"/);
});

t.test('a site item priced 1 小时 30 分 is stored as 90 minutes and shown so in its edit form; 75 minutes beside an hour is refused', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());
  const clerk = await signedInAs(app, 'clerk');
  await clerk.get('/sites/1/manage');
  const added = await clerk.post('/sites/1/items', { name: '香油', kind: 'goods', price_hours: '1', price_minutes: '30', stock: '5' });
  t.equal(added.statusCode, 303);
  const itemId = scalar(db, "SELECT id FROM site_items WHERE site_id = 1 AND name = '香油'") as number;
  t.equal(scalar(db, 'SELECT price_minutes FROM site_items WHERE id = ?', itemId), 90);
  const manage = (await clerk.get('/sites/1/manage')).body;
  t.match(manage, new RegExp(`id="edit-price-${itemId}-hours" name="price_hours"[^>]*value="1"`));
  t.match(manage, new RegExp(`id="edit-price-${itemId}-minutes" name="price_minutes"[^>]*value="30"`));
  const before = tableCounts(db);
  const items = scalar(db, 'SELECT count(*) FROM site_items');
  const bad = await clerk.post('/sites/1/items', { name: '醋', kind: 'goods', price_hours: '1', price_minutes: '75', stock: '' });
  t.equal(bad.statusCode, 422);
  t.match(visibleText(bad.body), '价格应在 1 分钟到 100 小时之间。');
  t.same(tableCounts(db), before);
  t.equal(scalar(db, 'SELECT count(*) FROM site_items'), items, 'nothing written');
  const decimal = await clerk.post('/sites/1/items', { name: '醋', kind: 'goods', price_hours: '1.5', price_minutes: '', stock: '' });
  t.equal(decimal.statusCode, 422, 'a decimal in the hours box is refused, not guessed');
  t.equal(scalar(db, 'SELECT count(*) FROM site_items'), items);
  const edited = await clerk.post(`/sites/1/items/${itemId}`, { name: '香油', price_hours: '', price_minutes: '45' });
  t.equal(edited.statusCode, 303);
  t.equal(scalar(db, 'SELECT price_minutes FROM site_items WHERE id = ?', itemId), 45);
  // An older client that sends only the decimal field is still understood.
  t.equal((await clerk.post('/sites/1/items', { name: '酱油', kind: 'goods', price_hours: '0.5', stock: '12' })).statusCode, 303);
  t.equal(scalar(db, "SELECT price_minutes FROM site_items WHERE site_id = 1 AND name = '酱油' ORDER BY id DESC LIMIT 1"), 30);
});

t.test('a voucher, a settlement, the balance cap and a request offer are typed in 小时 + 分钟', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());
  const office = await signedInAs(app, 'office');
  await office.get('/vouchers');
  const before = tableCounts(db);
  const badVoucher = await office.post('/vouchers', { source: 'issuance', region: '433123', category: 'disabled', amount_hours: '2', amount_minutes: '60', reason: '冬季助浴', idempotency_key: key() });
  t.equal(badVoucher.statusCode, 422);
  t.match(visibleText(badVoucher.body), '请填写正确的时间（几小时几分钟');
  t.match(badVoucher.body, /name="amount_minutes"[^>]*value="60"/, 'what was typed stays in the form');
  t.same(tableCounts(db), before, 'nothing written');
  const voucher = await office.post('/vouchers', { source: 'issuance', region: '433123', category: 'disabled', amount_hours: '1', amount_minutes: '15', reason: '冬季助浴', idempotency_key: key() });
  t.equal(voucher.statusCode, 303);
  t.equal(scalar(db, 'SELECT amount_per_elder_minutes FROM voucher_grants ORDER BY id DESC LIMIT 1'), 75);

  const admin = await signedInAs(app, 'admin');
  await admin.get('/clearing');
  const settled = await admin.post('/clearing/settlements', { from: '433123', to: '430524', amount_hours: '', amount_minutes: '50', note: '结算', idempotency_key: key() });
  t.equal(settled.statusCode, 303);
  t.equal(scalar(db, 'SELECT amount_minutes FROM clearing_settlements ORDER BY id DESC LIMIT 1'), 50);
  // The cap is part of a dated policy version (src/domain/redemption/policy-versions.ts), published from tomorrow.
  const upcomingCap = () => JSON.parse(String(scalar(db, 'SELECT rules FROM policy_versions WHERE withdrawn_at_ms IS NULL ORDER BY version_number DESC LIMIT 1'))).balanceCapMinutes;
  await admin.get('/policy');
  t.equal((await admin.post('/policy/versions', { idempotency_key: key(), effective_date: '2026-11-24', cap_hours: '1200', cap_minutes: '30', cap_mode: 'refuse', care_age: '60', relatives_only: '1' })).statusCode, 303);
  t.equal(upcomingCap(), 1200 * 60 + 30);
  const policy = (await admin.get('/policy')).body;
  t.match(policy, /id="cap-hours" name="cap_hours"[^>]*value="1200"/, 'the cap is shown back in hours and minutes');
  t.match(policy, /id="cap-minutes" name="cap_minutes"[^>]*value="30"/);
  t.equal((await admin.post('/policy/versions', { idempotency_key: key(), effective_date: '2026-11-24', cap_hours: '', cap_minutes: '', cap_mode: 'refuse', care_age: '60', relatives_only: '1' })).statusCode, 303);
  t.equal(upcomingCap(), null, 'both boxes empty: no cap');

  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/requests');
  const elderId = scalar(db, "SELECT id FROM elders WHERE village_code LIKE '433123%' ORDER BY id LIMIT 1") as number;
  const requests = scalar(db, 'SELECT count(*) FROM service_requests');
  const offered = await coordinator.post('/requests', { elder: String(elderId), payer: 'voucher', category: 'cleaning', description: '打扫', when: '2026-11-25', place: '家里', offered_hours: '1', offered_minutes: '99', idempotency_key: key() });
  t.equal(offered.statusCode, 422, '99 minutes beside an hour is refused');
  t.match(visibleText(offered.body), '请填写正确的时间（几小时几分钟');
  t.match(offered.body, /name="offered_minutes"[^>]*value="99"/);
  t.equal(scalar(db, 'SELECT count(*) FROM service_requests'), requests, 'nothing written');
});
