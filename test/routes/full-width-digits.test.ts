import t from 'tap';
import { randomUUID } from 'node:crypto';
import { seedHours } from '../../src/domain/demo/hours.ts';
import { setMemberPin } from '../../src/domain/people/members/pin.ts';
import { normalizedNumeric } from '../../src/lib/forms.ts';
import { normalizeIdNumber } from '../../src/lib/idcard.ts';
import { compactPhone, normalizePhone } from '../../src/lib/phone.ts';
import { signedInAs, visibleText } from '../helpers/web.ts';
import { available, key, pin, redemptionApp } from './redemption/helpers.ts';

/**
 * Full-width digits from a Chinese keyboard count as digits in every numeric
 * field (one hook normalises form bodies and queries before any route reads
 * them); text with Chinese in it is kept exactly as typed.
 */

const fullWidth = (ascii: string) => ascii.replace(/[0-9.:]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

t.test('what is normalised and what is left alone', async (t) => {
  t.equal(normalizedNumeric('１３５７９０'), '135790');
  t.equal(normalizedNumeric('１．５'), '1.5');
  t.equal(normalizedNumeric('０５：００'), '05:00');
  t.equal(normalizedNumeric('１３８\u3000００００\u3000１２３４'), '138 0000 1234', 'an ideographic space too');
  t.equal(normalizedNumeric('４３３１２３１９５８０３０９００４Ｘ'), '43312319580309004X');
  t.equal(normalizedNumeric('带了水果，３个'), '带了水果，３个', 'a note keeps its Chinese punctuation and digits');
  t.equal(normalizedNumeric('１，２'), '１，２', 'not a number once normalised: as typed');
  t.equal(normalizedNumeric('258036'), '258036');
  // The same for values that do not come from a form (a roster spreadsheet's cells).
  t.equal(normalizeIdNumber('４３３１２３１９５８０３０９００４ｘ'), '43312319580309004X');
  t.equal(normalizePhone('１３８－００００－１２３４'), '13800001234');
  t.equal(compactPhone('＋８６ １３８００００１２３４'), '13800001234', 'the people forms compact the same way');
});

t.test('a PIN typed as １３５７９０ confirms a basket at the counter as 135790', async (t) => {
  const { app, db, member, clock } = await redemptionApp();
  t.teardown(() => app.close());
  const luo = member('罗春兰');
  const admin = Number(db.$client.prepare("SELECT user_id FROM user_roles WHERE role = 'admin' LIMIT 1").pluck().get());
  t.ok((await setMemberPin({ db, keys: app.secrets, now: clock.now }, { userId: admin, memberId: luo.id, grants: [] }, luo.id, '135790', { currentPin: pin })).ok, 'she changes her PIN, typing the current one');
  const clerk = await signedInAs(app, 'clerk');
  await clerk.get('/counter/1');
  const found = await clerk.post('/counter/1/identify', { lookup: fullWidth(luo.cardNumber) });
  t.equal(found.statusCode, 303, 'a card number in full-width digits finds the member');
  const basketUrl = found.headers.location as string;
  await clerk.get(basketUrl);
  const towel = Number(db.$client.prepare("SELECT id FROM site_items WHERE site_id = 1 AND name = '毛巾'").pluck().get());
  const placed = await clerk.post(`${basketUrl}/baskets`, { idempotency_key: key(), [`qty_${towel}`]: '１' });
  t.equal(placed.statusCode, 303, 'a quantity of １');
  const basket = placed.headers.location as string;
  const confirmed = await clerk.post(`${basket}/confirm`, { pin: '１３５７９０' });
  t.equal(confirmed.statusCode, 303);
  t.match(visibleText((await clerk.get(confirmed.headers.location as string)).body), '兑换凭证');
  t.equal(db.$client.prepare('SELECT status FROM redemptions WHERE id = ?').pluck().get(Number(/baskets\/(\d+)/.exec(basket)![1])), 'confirmed');
  t.equal(db.$client.prepare('SELECT pin_failed_attempts FROM members WHERE id = ?').pluck().get(luo.id), 0, 'not counted as a wrong try');
});

t.test('an amount of １ hour and a PIN in full-width digits give credits', async (t) => {
  const { app, db, member } = await redemptionApp();
  t.teardown(() => app.close());
  const volunteer = await signedInAs(app, 'volunteer');
  const wang = member('王秀英');
  const liu = member('刘德顺');
  await volunteer.get('/gifts');
  const before = available(db, `wallet:m${wang.id}`);
  const given = await volunteer.post('/gifts', { kind: 'gift', to: fullWidth(liu.cardNumber), amount: '１', pin: fullWidth(pin), idempotency_key: key() });
  t.equal(given.statusCode, 303);
  t.match(visibleText((await volunteer.get(given.headers.location as string)).body), '已转出 1 小时。');
  t.equal(available(db, `wallet:m${wang.id}`), before - 60);
  const half = await volunteer.post('/gifts', { kind: 'donation', to: '', amount: '０．５', pin, idempotency_key: key() });
  t.equal(half.statusCode, 303, '０．５ hours');
  t.equal(available(db, `wallet:m${wang.id}`), before - 90);
});

t.test('hours: full-width times and minutes are accepted; the note is stored as typed', async (t) => {
  const { app, db, clock } = await redemptionApp();
  t.teardown(() => app.close());
  seedHours(db, app.secrets, clock.now());
  const volunteer = await signedInAs(app, 'volunteer');
  await volunteer.get('/hours/new');
  const elderId = Number(db.$client.prepare("SELECT id FROM elders WHERE real_name = '杨老汉'").pluck().get());
  const saved = await volunteer.post('/hours', {
    idempotency_key: randomUUID(), service_type: 'visit', elder_id: String(elderId), date: '２０２６-１１-２２', start_time: '０５：００', duration_minutes: '６０', note: '带了水果，３个',
  });
  t.equal(saved.statusCode, 303);
  const id = Number(/records\/(\d+)/.exec(saved.headers.location as string)![1]);
  t.same(db.$client.prepare('SELECT service_date AS date, duration_minutes AS minutes, note FROM service_records WHERE id = ?').get(id), { date: '2026-11-22', minutes: 60, note: '带了水果，３个' });
});
