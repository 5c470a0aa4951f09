import t from 'tap';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { available, key, pin, redemptionApp, tableCounts } from './helpers.ts';

/**
 * Issue 14 item 3: the same balance reads the same on every page (hours and
 * minutes, never decimal hours), and a gift is typed in 小时 and 分钟.
 */
t.test('a gift typed as hours and minutes; the balance after reads in hours and minutes on /gifts and the counter', async (t) => {
  const { app, db, member } = await redemptionApp();
  t.teardown(() => app.close());
  const volunteer = await signedInAs(app, 'volunteer');
  const wang = member('王秀英');
  const liu = member('刘德顺');
  const form = visibleText((await volunteer.get('/gifts')).body);
  t.match(form, '小时');
  t.match(form, '分钟');
  const page = (await volunteer.get('/gifts')).body;
  t.match(page, /name="amount_hours"/, 'an hours field');
  t.match(page, /name="amount_minutes"/, 'a minutes field');
  t.notMatch(page, /可写 0\.5/, 'no decimal hours asked for');

  const before = tableCounts(db);
  const bad = await volunteer.post('/gifts', { kind: 'gift', to: liu.cardNumber, amount_hours: '1', amount_minutes: '75', pin, idempotency_key: key() });
  t.equal(bad.statusCode, 422, '75 minutes beside an hour is refused');
  t.match(visibleText(bad.body), '请填写正确的时间');
  t.match(bad.body, /value="75"/, 'what was typed stays in the form');
  t.same(tableCounts(db), before, 'and nothing is written');

  const given = await volunteer.post('/gifts', { kind: 'gift', to: liu.cardNumber, amount_hours: '1', amount_minutes: '20', pin, idempotency_key: key() });
  t.equal(given.statusCode, 303);
  t.equal(available(db, `wallet:m${wang.id}`), 600 - 80, '80 minutes left the wallet');
  const done = visibleText((await volunteer.get(given.headers.location as string)).body);
  t.match(done, '已转出 1 小时 20 分。');
  t.match(done, '可用时间：8 小时 40 分');
  t.notMatch(done, /\d+\.\d+ 小时/, 'no decimal hours anywhere on the page');

  const minutesOnly = await volunteer.post('/gifts', { kind: 'donation', to: '', amount_minutes: '20', pin, idempotency_key: key() });
  t.equal(minutesOnly.statusCode, 303);
  t.equal(available(db, `wallet:m${wang.id}`), 600 - 100);
  t.match(visibleText((await volunteer.get(minutesOnly.headers.location as string)).body), '已转出 20 分钟。');
});

t.test('prices on /sites read in hours and minutes', async (t) => {
  const { app } = await redemptionApp();
  t.teardown(() => app.close());
  const volunteer = await signedInAs(app, 'volunteer');
  const text = visibleText((await volunteer.get('/sites')).body);
  t.match(text, '毛巾：15 分钟');
  t.match(text, '食用油 1.8 升：1 小时 30 分');
  t.notMatch(text, /\d\.\d+ 小时/, 'no decimal hours');
});

t.test('issue 14 item 4: a gift goes to a relative picked from the list; the card number stays as the fallback', async (t) => {
  const { app, db, member } = await redemptionApp();
  t.teardown(() => app.close());
  const volunteer = await signedInAs(app, 'volunteer'); // 王秀英, daughter of 刘德顺
  const wang = member('王秀英');
  const liu = member('刘德顺');
  const stranger = member('罗春兰');
  const page = (await volunteer.get('/gifts')).body;
  t.match(page, new RegExp(`<input type="radio" name="relative" value="${liu.id}" checked> 刘德顺（父母与子女 · 父女）`), 'her father is offered, picked already');
  t.match(page, /<input type="radio" name="relative" value="card"> 其他亲属（输入卡号）/, 'and the card number as the fallback');

  const before = tableCounts(db);
  const notRelative = await volunteer.post('/gifts', { kind: 'gift', relative: String(stranger.id), to: '', amount_hours: '1', pin, idempotency_key: key() });
  t.equal(notRelative.statusCode, 404, 'a member id that is not her relative is refused');
  t.match(visibleText(notRelative.body), '找不到接收人');
  t.same(tableCounts(db), before, 'nothing written');

  const picked = await volunteer.post('/gifts', { kind: 'gift', relative: String(liu.id), to: '', amount_minutes: '30', pin, idempotency_key: key() });
  t.equal(picked.statusCode, 303, 'no card number needed');
  t.equal(available(db, `wallet:m${wang.id}`), 600 - 30);
  t.equal(db.$client.prepare('SELECT to_member_id FROM member_gifts ORDER BY id DESC LIMIT 1').pluck().get(), liu.id, 'the gift went to him');

  const byCard = await volunteer.post('/gifts', { kind: 'gift', relative: 'card', to: liu.cardNumber, amount_minutes: '15', pin, idempotency_key: key() });
  t.equal(byCard.statusCode, 303, 'the card number still works');
  t.equal(available(db, `wallet:m${wang.id}`), 600 - 45);
});
