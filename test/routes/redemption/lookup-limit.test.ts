import t from 'tap';
import { lookupMissesPerClerk, lookupMissesPerSite } from '../../../src/domain/redemption/lookup.ts';
import { count, signedInAs, visibleText, type TestBrowser } from '../../helpers/web.ts';
import { redemptionApp } from './helpers.ts';

/**
 * Issue 12 item 6: typed lookups at the counter (card number or phone) are
 * limited per clerk and per site, counted in the database; every miss is
 * audited for the offices of the site's area. A scanned card is not limited.
 */
const { app, db, clock, member } = await redemptionApp();
t.teardown(() => app.close());
const address = await app.listen({ host: '127.0.0.1', port: 0 });
const misses = () => count(db, `audit_log WHERE action = 'counter.lookup_miss'`);
let serial = 0;
/** A well-formed mobile number that nobody holds. */
const unknownPhone = () => `1990000${String((serial += 1)).padStart(4, '0')}`;

function identify(browser: TestBrowser, lookup: string): Promise<Response> {
  return fetch(`${address}/counter/1/identify`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: browser.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: browser.csrfToken, lookup }).toString(),
  });
}

t.test('parallel misses by one clerk: exactly the limit is evaluated, then 429 in Chinese', async (t) => {
  t.equal(lookupMissesPerClerk, 30);
  const clerk = await signedInAs(app, 'clerk');
  await clerk.get('/counter/1');
  const answers = await Promise.all(Array.from({ length: 40 }, () => identify(clerk, unknownPhone())));
  const statuses = answers.map((answer) => answer.status);
  t.equal(statuses.filter((status) => status === 404).length, 30, 'thirty lookups evaluated (found nobody)');
  t.equal(statuses.filter((status) => status === 429).length, 10, 'the rest refused');
  const refusal = visibleText(await answers[statuses.indexOf(429)]!.text());
  t.match(refusal, '您在 10 分钟内已有 30 次查无此人，查找暂停');
  t.equal(misses(), 30, 'each miss is in the audit log');
  const entries = db.$client.prepare(`SELECT region_code AS regionCode, detail FROM audit_log WHERE action = 'counter.lookup_miss'`).all() as { regionCode: string; detail: string }[];
  t.ok(entries.every((entry) => entry.regionCode === '430524101001'), "filed under the site's village, so its offices see them");
  t.notOk(entries.some((entry) => entry.detail.includes('19900')), 'what was typed is not recorded');

  // Even a real card number is refused now; the card's QR code still works.
  const luo = member('罗春兰');
  const typed = await identify(clerk, luo.cardNumber);
  t.equal(typed.status, 429);
  const typedText = visibleText(await typed.text());
  t.match(typedText, '查找暂停');
  t.notMatch(typedText, '可用时间', 'no member is shown');
  t.equal(misses(), 30, 'a refused lookup writes nothing');
  t.equal((await identify(clerk, `${address}/c/${luo.token}`)).status, 303, 'a scanned card is not limited');

  // Ten minutes later the window has moved on.
  clock.advance(10 * 60_000 + 1000);
  t.equal((await identify(clerk, luo.cardNumber)).status, 303);
});

t.test('the site has its own limit, shared by everybody who works its counter', async (t) => {
  t.equal(lookupMissesPerSite, 60);
  const clerk = await signedInAs(app, 'clerk');
  const city = await signedInAs(app, 'office-city'); // 邵阳市: works site 1 (隆回县) through its region
  const admin = await signedInAs(app, 'admin');
  for (const browser of [clerk, city, admin]) await browser.get('/counter/1');
  const first = await Promise.all(Array.from({ length: 30 }, () => identify(clerk, unknownPhone())));
  const second = await Promise.all(Array.from({ length: 30 }, () => identify(city, unknownPhone())));
  t.ok([...first, ...second].every((answer) => answer.status === 404), 'sixty misses by two users');
  const third = await identify(admin, unknownPhone());
  t.equal(third.status, 429);
  t.match(visibleText(await third.text()), '本站点 10 分钟内已有 60 次查无此人');
});
