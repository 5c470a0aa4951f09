import t from 'tap';
import { translator } from '../../../src/i18n/index.ts';
import { durationText } from '../../../src/lib/duration.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { available, key, pin, redemptionApp, tableCounts } from './helpers.ts';

const zh = translator('zh-CN');

/**
 * The counter's pages never write (issue 15): an abandoned basket whose 15
 * minutes are over reads as expired on every page, and the basket sweep of
 * src/jobs is what closes it, voids its hold and releases its stock.
 */
t.test('a GET of the counter with an expired basket writes nothing and shows it expired; the job expires it', async (t) => {
  const { app, db, member, clock } = await redemptionApp();
  t.teardown(() => app.close());
  const clerk = await signedInAs(app, 'clerk');
  const luo = member('罗春兰');
  const wallet = `wallet:m${luo.id}`;
  const before = available(db, wallet);
  const basketForm = (await clerk.get(`/counter/scan/${luo.token}`)).headers.location as string;
  const towel = db.$client.prepare("SELECT id FROM site_items WHERE site_id = 1 AND name = '毛巾'").pluck().get() as number;
  const placed = await clerk.post(`${basketForm}/baskets`, { idempotency_key: key(), [`qty_${towel}`]: '1' });
  t.equal(placed.statusCode, 303);
  const basket = placed.headers.location as string;
  const basketId = Number(basket.split('/').pop());
  t.ok(available(db, wallet) < before, 'the basket holds credits');

  clock.advance(16 * 60_000);
  await clerk.get('/'); // the access token ran out with the 16 minutes: renew the session first (that write is not the counter's)
  const changesBefore = db.$client.prepare('SELECT total_changes()').pluck().get() as number;
  const countsBefore = tableCounts(db);

  const site = await clerk.get('/counter/1');
  t.equal(site.statusCode, 200);
  t.match(visibleText(site.body), new RegExp(`罗\\*兰 · [^·]+ 已过期`), 'the site page lists the basket as expired, the name masked (never confirmed with the PIN)');
  const status = await clerk.get(basket);
  t.equal(status.statusCode, 200);
  t.match(visibleText(status.body), '这单超过 15 分钟未确认，已自动取消。', 'the basket page says it expired');
  t.notMatch(status.body, /name="pin"/, 'and offers no PIN box');
  const form = await clerk.get(basketForm);
  t.match(visibleText(form.body), `可用时间 ${durationText(zh, before)}`, 'the member\'s balance no longer counts the overdue hold');

  t.equal(db.$client.prepare('SELECT total_changes()').pluck().get(), changesBefore, 'the GETs changed no row');
  t.same(tableCounts(db), countsBefore, 'no row added, the stock still reserved');
  t.equal(db.$client.prepare('SELECT status FROM redemptions WHERE id = ?').pluck().get(basketId), 'held', 'the row waits for the sweep');

  t.equal(await app.jobs.run('expireBaskets'), 1, 'the basket sweep job expires it');
  t.equal(db.$client.prepare('SELECT status FROM redemptions WHERE id = ?').pluck().get(basketId), 'expired');
  t.equal(tableCounts(db).reserved, 0, 'its stock is released');
  t.equal(available(db, wallet), before, 'its hold is voided');
  t.equal(await app.jobs.run('expireBaskets'), 0, 'a second run finds nothing');
  t.match(visibleText((await clerk.get(basket)).body), '这单超过 15 分钟未确认，已自动取消。', 'the page reads the same after the sweep');
});

t.test('an overdue basket does not block a gift: the ledger does not count its hold, so the balance checked is the one the counter shows, swept or not', async (t) => {
  const { app, db, member, clock } = await redemptionApp();
  t.teardown(() => app.close());
  const clerk = await signedInAs(app, 'clerk');
  const wang = member('王秀英');
  const wallet = `wallet:m${wang.id}`;
  const before = available(db, wallet);
  const basketForm = (await clerk.get(`/counter/scan/${wang.token}`)).headers.location as string;
  const towel = db.$client.prepare("SELECT id FROM site_items WHERE site_id = 1 AND name = '毛巾'").pluck().get() as number;
  t.equal((await clerk.post(`${basketForm}/baskets`, { idempotency_key: key(), [`qty_${towel}`]: '1' })).statusCode, 303);
  t.ok(available(db, wallet) < before, 'the basket holds some of her credits');

  clock.advance(16 * 60_000); // the hold is over; no sweep has run
  const volunteer = await signedInAs(app, 'volunteer'); // 王秀英 herself
  await volunteer.get('/gifts');
  const whole = { amount_hours: String(Math.floor(before / 60)), amount_minutes: String(before % 60) };
  const donated = await volunteer.post('/gifts', { kind: 'donation', relative: '', to: '', ...whole, pin, idempotency_key: key() });
  t.equal(donated.statusCode, 303, `her whole balance can be donated: ${visibleText(donated.body)}`);
  t.equal(available(db, wallet), 0, 'and it is gone from her wallet, the expired hold voided first');
  const held = db.$client.prepare("SELECT hold_transfer_ids FROM redemptions WHERE status = 'held'").pluck().all() as string[];
  t.equal(held.length, 1, 'the gift did not sweep: the basket row still waits for the job');
  const walletHold = (JSON.parse(held[0] ?? '[]') as string[])[0];
  t.equal(db.$client.prepare('SELECT code FROM ledger_transfers WHERE id = ?').pluck().get(`expire:${walletHold}`), 'expiry', 'the ledger voided the overdue wallet hold as an expiry, in the gift\'s own call');
  t.equal(await app.jobs.run('expireBaskets'), 1, 'the basket sweep then closes the basket');
  t.equal(db.$client.prepare("SELECT count(*) FROM redemptions WHERE status = 'expired'").pluck().get(), 1, 'the basket is closed as expired');
  t.equal(available(db, wallet), 0, 'and the sweep gives nothing back twice');
});
