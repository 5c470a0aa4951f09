import tap, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { translator } from '../../../src/i18n/index.ts';
import type { Role } from '../../../src/domain/access/authorize.ts';
import type { HttpAnswer } from '../../helpers/http-client.ts';
import { signedInAs, visibleText, listeningAs as listeningAsRole } from '../../helpers/web.ts';
import { key, pin, redemptionApp, tableCounts } from './helpers.ts';

const zh = translator('zh-CN');

/**
 * Baskets, voucher grants and settlements run once per form key through the
 * one idempotency mechanism (src/domain/kernel/idempotency.ts): the same key
 * sent many times at once through a listening server writes one row and every
 * answer names it; the key sent again with other content is refused.
 */

const listeningAs = (role: Role) => listeningAsRole(role, redemptionApp);

function sameAnswers(t: Test, answers: HttpAnswer[], message: string): void {
  t.same(answers.map((answer) => answer.status), Array(answers.length).fill(303), `${message}: every request answered with a redirect`);
  t.equal(new Set(answers.map((answer) => answer.headers.location)).size, 1, `${message}: all to the same place`);
}

function keyRows(db: Awaited<ReturnType<typeof redemptionApp>>['db'], scope: string): number {
  return Number(db.$client.prepare('SELECT count(*) FROM idempotency_keys WHERE scope = ?').pluck().get(scope));
}

tap.test('a basket: six taps at once place one basket; the key on another member\'s basket is refused', async (t) => {
  const { app, db, member, client } = await listeningAs('clerk');
  t.teardown(() => app.close());
  const towel = db.$client.prepare("SELECT id FROM site_items WHERE site_id = 1 AND name = '毛巾'").pluck().get() as number;
  const first = (await client.get(`/counter/scan/${member('罗春兰').token}`)).headers.location as string;
  const other = (await client.get(`/counter/scan/${member('龙秀英').token}`)).headers.location as string;
  await client.get(first);
  const formKey = key();
  const before = tableCounts(db);
  const keysBefore = keyRows(db, 'redemption.basket');
  const answers = await Promise.all(Array.from({ length: 6 }, () => client.post(`${first}/baskets`, { idempotency_key: formKey, [`qty_${towel}`]: '1' })));
  sameAnswers(t, answers, 'six taps');
  t.equal(tableCounts(db).redemptions, before.redemptions! + 1, 'one basket');
  t.equal(tableCounts(db).reserved, before.reserved! + 1, 'one towel reserved');
  t.equal(keyRows(db, 'redemption.basket'), keysBefore + 1, 'one key row');
  const held = tableCounts(db);
  const reused = await client.post(`${other}/baskets`, { idempotency_key: formKey, [`qty_${towel}`]: '1' });
  t.equal(reused.status, 409);
  t.match(visibleText(reused.body), zh('redemption.error.key_reused'));
  t.same(tableCounts(db), held, 'nothing written');
});

tap.test('a voucher grant: sent six times at once, granted once; the key with another amount is refused', async (t) => {
  const { app, db, client } = await listeningAs('office');
  t.teardown(() => app.close());
  await client.get('/vouchers');
  const form = { source: 'issuance', region: '433123', category: 'disabled', amount: '2', reason: '冬季助浴', idempotency_key: key() };
  const before = tableCounts(db);
  const answers = await Promise.all(Array.from({ length: 6 }, () => client.post('/vouchers', form)));
  sameAnswers(t, answers, 'six grants');
  t.equal(tableCounts(db).voucher_grants, before.voucher_grants! + 1, 'one grant');
  const granted = tableCounts(db);
  t.ok(granted.ledger_transfers! > before.ledger_transfers!, 'its transfers were written once');
  const reused = await client.post('/vouchers', { ...form, amount: '3' });
  t.equal(reused.status, 409);
  t.match(visibleText(reused.body), zh('redemption.error.key_reused'));
  t.same(tableCounts(db), granted, 'nothing written');
});

tap.test('a settlement: sent six times at once, recorded once; the key with another note is refused', async (t) => {
  const { app, db, client } = await listeningAs('admin');
  t.teardown(() => app.close());
  await client.get('/clearing');
  const form = { from: '433123', to: '430524', amount: '1', note: '11 月结算', idempotency_key: key() };
  const before = tableCounts(db);
  const answers = await Promise.all(Array.from({ length: 6 }, () => client.post('/clearing/settlements', form)));
  sameAnswers(t, answers, 'six settlements');
  t.equal(tableCounts(db).clearing_settlements, before.clearing_settlements! + 1, 'one settlement');
  t.equal(tableCounts(db).ledger_transfers, before.ledger_transfers! + 1, 'one transfer');
  const settled = tableCounts(db);
  const reused = await client.post('/clearing/settlements', { ...form, note: '12 月结算' });
  t.equal(reused.status, 409);
  t.match(visibleText(reused.body), zh('redemption.error.key_reused'));
  t.same(tableCounts(db), settled, 'nothing written');
});

// Three, not six: each request in flight holds one of the PIN's five attempts until its hash is checked (members domain).
tap.test('a gift: sent three times at once, given once; the key with another amount is refused', async (t) => {
  const { app, db, member, client } = await listeningAs('volunteer');
  t.teardown(() => app.close());
  await client.get('/gifts');
  const form = { kind: 'gift', to: member('刘德顺').cardNumber, amount_minutes: '20', pin, idempotency_key: key() };
  const before = tableCounts(db);
  const answers = await Promise.all(Array.from({ length: 3 }, () => client.post('/gifts', form)));
  sameAnswers(t, answers, 'three gifts');
  t.equal(tableCounts(db).member_gifts, before.member_gifts! + 1, 'one gift');
  t.equal(tableCounts(db).ledger_transfers, before.ledger_transfers! + 1, 'one transfer');
  const given = tableCounts(db);
  const reused = await client.post('/gifts', { ...form, amount_minutes: '30' });
  t.equal(reused.status, 409);
  t.match(visibleText(reused.body), zh('redemption.error.key_reused'));
  t.same(tableCounts(db), given, 'nothing written');
});

tap.test('a service request: sent six times at once, posted once; the key with another place is refused', async (t) => {
  const { app, db, client } = await listeningAs('volunteer');
  t.teardown(() => app.close());
  await client.get('/requests');
  const form = { category: 'cleaning', description: '打扫院子', when: '2026-11-28', place: '家中', offered: '1', payer: 'wallet', idempotency_key: key() };
  const before = tableCounts(db);
  const answers = await Promise.all(Array.from({ length: 6 }, () => client.post('/requests', form)));
  sameAnswers(t, answers, 'six requests');
  t.equal(tableCounts(db).service_requests, before.service_requests! + 1, 'one request');
  const posted = tableCounts(db);
  t.ok(posted.ledger_transfers! > before.ledger_transfers!, 'its hold was written once');
  const reused = await client.post('/requests', { ...form, place: '村口' });
  t.equal(reused.status, 409);
  t.match(visibleText(reused.body), zh('redemption.error.key_reused'));
  t.same(tableCounts(db), posted, 'nothing written');
});

tap.test('migration 0017 copies the keys the tables held: a basket placed before it is found again by its key, whatever the content', async (t) => {
  const { app, db, member } = await redemptionApp();
  t.teardown(() => app.close());
  const clerk = await signedInAs(app, 'clerk');
  const towel = db.$client.prepare("SELECT id FROM site_items WHERE site_id = 1 AND name = '毛巾'").pluck().get() as number;
  const first = (await clerk.get(`/counter/scan/${member('罗春兰').token}`)).headers.location as string;
  const other = (await clerk.get(`/counter/scan/${member('龙秀英').token}`)).headers.location as string;
  await clerk.get(first);
  const formKey = key();
  const placed = await clerk.post(`${first}/baskets`, { idempotency_key: formKey, [`qty_${towel}`]: '1' });
  t.equal(placed.statusCode, 303);
  // As the database stood before 0017: the key only in redemptions.idempotency_key.
  db.$client.exec('DELETE FROM idempotency_keys');
  const backfill = readFileSync(new URL('../../../drizzle/0017_idempotency_keys.sql', import.meta.url), 'utf8').split('--> statement-breakpoint').slice(1);
  t.equal(backfill.length, 7, 'baskets, voucher grants, settlements, gifts, requests, sites, stock changes');
  for (const statement of backfill) db.$client.exec(statement);
  t.match(db.$client.prepare('SELECT scope, content_hash AS hash, result FROM idempotency_keys WHERE key = ?').get(formKey), { scope: 'redemption.basket', hash: 'legacy' });
  const counts = tableCounts(db);
  const again = await clerk.post(`${first}/baskets`, { idempotency_key: formKey, [`qty_${towel}`]: '2' });
  t.equal(again.headers.location, placed.headers.location, 'the first basket answers a double tap, as the old replay did');
  // A copied key carries no content hash: any content answers the first result (grants, settlements, gifts and requests
  // answered so before; a basket used to check the site and payer too, so a copied basket key is a little looser).
  const elsewhere = await clerk.post(`${other}/baskets`, { idempotency_key: formKey, [`qty_${towel}`]: '1' });
  t.equal(elsewhere.headers.location, placed.headers.location);
  t.same(tableCounts(db), counts, 'nothing written');
});

tap.test('a stock delivery: sent six times at once, counted once; the key with another quantity is refused', async (t) => {
  const { app, db, client } = await listeningAs('clerk');
  t.teardown(() => app.close());
  const towel = db.$client.prepare("SELECT id, stock FROM site_items WHERE site_id = 1 AND name = '毛巾'").get() as { id: number; stock: number };
  await client.get('/sites/1/manage');
  const form = { kind: 'receive', quantity: '5', idempotency_key: key() };
  const before = tableCounts(db);
  const answers = await Promise.all(Array.from({ length: 6 }, () => client.post(`/sites/1/items/${towel.id}/stock`, form)));
  sameAnswers(t, answers, 'six deliveries');
  t.equal(tableCounts(db).stock_movements, before.stock_movements! + 1, 'one stock movement');
  t.equal(db.$client.prepare('SELECT stock FROM site_items WHERE id = ?').pluck().get(towel.id), towel.stock + 5, 'five more towels, once');
  const counted = tableCounts(db);
  const reused = await client.post(`/sites/1/items/${towel.id}/stock`, { ...form, quantity: '6' });
  t.equal(reused.status, 409);
  t.match(visibleText(reused.body), zh('redemption.error.key_reused'));
  t.same(tableCounts(db), counted, 'nothing written');
  t.equal(db.$client.prepare('SELECT stock FROM site_items WHERE id = ?').pluck().get(towel.id), towel.stock + 5);
});

tap.test('a site registration: sent six times at once, registered once; the key with another address is refused', async (t) => {
  const { app, db, client } = await listeningAs('office');
  t.teardown(() => app.close());
  const village = db.$client.prepare("SELECT code FROM regions WHERE level = 'village' AND path LIKE '%/433123/%' ORDER BY code LIMIT 1").pluck().get() as string;
  await client.get('/sites/new');
  const form = { name: '新村爱心超市', kind: 'love_supermarket', village_code: village, address: '村部', opening_hours: '9-17', idempotency_key: key() };
  const sites = () => Number(db.$client.prepare('SELECT count(*) FROM partner_sites').pluck().get());
  const before = sites();
  const answers = await Promise.all(Array.from({ length: 6 }, () => client.post('/sites', form)));
  sameAnswers(t, answers, 'six registrations');
  t.equal(sites(), before + 1, 'one site');
  const reused = await client.post('/sites', { ...form, address: '村口' });
  t.equal(reused.status, 409);
  t.match(visibleText(reused.body), zh('redemption.error.key_reused'));
  t.equal(sites(), before + 1, 'nothing written');
});
