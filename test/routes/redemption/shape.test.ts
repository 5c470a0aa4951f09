import t from 'tap';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { key, redemptionApp, tableCounts } from './helpers.ts';

/**
 * Shape refusals of the counter's forms (their TypeBox schemas,
 * src/routes/redemption/counter/routes.ts): the basket page comes back in Chinese with
 * the refused quantity marked, never Fastify's English JSON 400, and nothing
 * is written (no basket, no hold, no transfer).
 */
function itemId(db: Parameters<typeof tableCounts>[0], siteId: number, name: string): number {
  return (db.$client.prepare('SELECT id FROM site_items WHERE site_id = ? AND name = ?').get(siteId, name) as { id: number }).id;
}

t.test('a basket quantity that is no whole number from 0 to 99: the basket page again, the box marked, nothing written', async (t) => {
  const { app, db, member } = await redemptionApp();
  t.teardown(() => app.close());
  const clerk = await signedInAs(app, 'clerk');
  const scanned = await clerk.get(`/counter/scan/${member('龙秀英').token}`);
  const basketUrl = scanned.headers.location as string;
  await clerk.get(basketUrl);
  const towel = itemId(db, 1, '毛巾');
  const soap = itemId(db, 1, '洗衣粉 1 千克');
  const before = tableCounts(db);

  const letters = await clerk.post(`${basketUrl}/baskets`, { idempotency_key: key(), [`qty_${towel}`]: 'abc', [`qty_${soap}`]: '1' });
  t.equal(letters.statusCode, 422, 'the status a refused basket had before the schema');
  t.match(String(letters.headers['content-type']), /^text\/html/);
  t.match(visibleText(letters.body), '数量应为 0 到 99 的整数。', 'the reason, in Chinese');
  t.match(letters.body, new RegExp(`<p class="field-error" id="qty-${towel}-error">数量应为 0 到 99 的整数。</p>`), 'beside the refused box');
  t.match(letters.body, new RegExp(`id="qty-${towel}"[^>]*value="abc" aria-invalid="true" aria-describedby="qty-${towel}-error"`), 'the box is marked and shows what was typed');
  t.notMatch(letters.body, new RegExp(`id="qty-${soap}"[^>]*aria-invalid`), 'the good box is not marked');
  t.match(letters.body, /<input type="hidden" name="idempotency_key" value="[0-9a-f-]{36}">/, 'the form keeps a key');

  for (const quantity of ['-1', '1.5', '100', '１００']) {
    const refused = await clerk.post(`${basketUrl}/baskets`, { idempotency_key: key(), [`qty_${towel}`]: quantity });
    t.equal(refused.statusCode, 422, `quantity ${quantity}`);
    t.match(refused.body, new RegExp(`id="qty-${towel}"[^>]*aria-invalid="true"`), `quantity ${quantity}: marked`);
  }
  t.same(tableCounts(db), before, 'no basket, no hold, no transfer');

  const good = await clerk.post(`${basketUrl}/baskets`, { idempotency_key: key(), [`qty_${towel}`]: '１', [`qty_${soap}`]: '' });
  t.equal(good.statusCode, 303, 'a full-width digit and a blank box still place the basket');
});

t.test('an id in the URL that is not a number is answered like a missing record, in Chinese', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());
  const clerk = await signedInAs(app, 'clerk');
  await clerk.get('/counter/1');
  const before = tableCounts(db);
  for (const url of ['/counter/abc', '/counter/1/baskets/x1']) {
    const page = await clerk.get(url);
    t.equal(page.statusCode, 404, url);
    t.match(String(page.headers['content-type']), /^text\/html/);
    t.match(visibleText(page.body), '找不到', `${url}: the localized 404 page`);
  }
  const posted = await clerk.post('/counter/1/baskets/x1/void', { reason: '扫错了' });
  t.equal(posted.statusCode, 404, 'a form posted to a malformed basket id');
  t.match(visibleText(posted.body), '找不到');
  t.same(tableCounts(db), before, 'nothing written');
});

t.test('an over-long elder name at a site that is no service station: the site page says why (its elder search is not on that page)', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());
  const clerk = await signedInAs(app, 'clerk');
  await clerk.get('/counter/1');
  const before = tableCounts(db);
  const response = await clerk.post('/counter/1/identify-elder', { elder_name: '长'.repeat(41), elder_digits: '1234' });
  t.equal(response.statusCode, 422);
  t.match(visibleText(response.body), '太长了：最多 40 个字。', 'the reason is on the page');
  t.same(tableCounts(db), before);
});
