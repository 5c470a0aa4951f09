import t from 'tap';
import { luhnDigit } from '../../../src/domain/people/members/card.ts';
import { giftLookupMissesPerUser, lookupWindowMs } from '../../../src/domain/redemption/lookup.ts';
import { count, signedInAs, visibleText, type TestBrowser } from '../../helpers/web.ts';
import { key, pin, redemptionApp, tableCounts } from './helpers.ts';

/**
 * The gifts forms must not tell a signed-in user which card numbers exist
 * (issue 12's same-class hole: /gifts answered 404 for a missing card and
 * 409 for a stranger's). Under the relatives-only policy a stranger's card
 * answers exactly like a missing one; every card number that finds nobody is
 * a miss, and misses are limited per user, counted in the database.
 */
const { app, db, clock, member } = await redemptionApp();
t.teardown(() => app.close());
const address = await app.listen({ host: '127.0.0.1', port: 0 });
const misses = () => count(db, `audit_log WHERE action = 'gifts.lookup_miss'`);

function give(browser: TestBrowser, to: string): Promise<Response> {
  return fetch(`${address}/gifts`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: browser.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: browser.csrfToken, kind: 'gift', relative: 'card', to, amount_hours: '0', amount_minutes: '30', pin, idempotency_key: key() }).toString(),
  });
}

/** A well-formed card number (Luhn digit right) that nobody holds. */
const unheld = (n: number) => { const digits = `430524${String(900000 + n)}`; return `${digits}${luhnDigit(digits)}`; };

const withoutKey = (html: string) => visibleText(html).replace(/[0-9a-f-]{36}/g, '');

t.test('a stranger\'s card and a card nobody holds get the same answer', async (t) => {
  const volunteer = await signedInAs(app, 'volunteer'); // 王秀英, daughter of 刘德顺
  await volunteer.get('/gifts');
  const before = tableCounts(db);
  const stranger = await give(volunteer, member('罗春兰').cardNumber);
  const nobody = await give(volunteer, unheld(99));
  t.equal(stranger.status, 404);
  t.equal(nobody.status, 404);
  const [strangerText, nobodyText] = [withoutKey(await stranger.text()), withoutKey(await nobody.text())];
  t.match(strangerText, '找不到这个卡号的亲属');
  t.equal(strangerText.replace(member('罗春兰').cardNumber, 'CARD'), nobodyText.replace(unheld(99), 'CARD'), 'the two pages differ only in the number typed');
  t.same(tableCounts(db), before, 'nothing is given');
  t.equal(misses(), 2, 'both are misses, in the audit log');
  const details = db.$client.prepare(`SELECT detail FROM audit_log WHERE action = 'gifts.lookup_miss'`).pluck().all() as string[];
  t.notOk(details.some((detail) => detail.includes('430524')), 'what was typed is not recorded');
});

t.test('the giver\'s card typed by someone who may not act for its holder answers like a card nobody holds', async (t) => {
  const volunteer = await signedInAs(app, 'volunteer'); // 王秀英: may give only from her own wallet
  await volunteer.get('/gifts');
  const already = misses();
  const before = tableCounts(db);
  const donate = (from: string) => fetch(`${address}/gifts`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: volunteer.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: volunteer.csrfToken, kind: 'donation', from, amount_hours: '0', amount_minutes: '30', pin: '000000', idempotency_key: key() }).toString(),
  });
  const stranger = await donate(member('罗春兰').cardNumber);
  const nobody = await donate(unheld(98));
  t.equal(stranger.status, 404);
  t.equal(nobody.status, 404);
  const [strangerText, nobodyText] = [withoutKey(await stranger.text()), withoutKey(await nobody.text())];
  t.match(strangerText, '找不到这位会员，请核对卡号');
  t.equal(strangerText.replace(member('罗春兰').cardNumber, 'CARD'), nobodyText.replace(unheld(98), 'CARD'), 'the two pages differ only in the number typed');
  t.equal(misses(), already + 2, 'both count as misses');
  t.same(tableCounts(db), before, 'nothing is given');
});

t.test('parallel misses: exactly the limit is evaluated, then 429 in Chinese, even for a real relative; the window moves on', async (t) => {
  t.equal(giftLookupMissesPerUser, 10);
  const volunteer = await signedInAs(app, 'volunteer');
  await volunteer.get('/gifts');
  const already = misses();
  const answers = await Promise.all(Array.from({ length: 16 }, (_, n) => give(volunteer, unheld(n))));
  const statuses = answers.map((answer) => answer.status);
  t.equal(statuses.filter((status) => status === 404).length, giftLookupMissesPerUser - already, 'only the misses left in the allowance were evaluated');
  t.equal(statuses.filter((status) => status === 429).length, 16 - (giftLookupMissesPerUser - already), 'the rest were refused unevaluated');
  t.match(visibleText(await answers[statuses.indexOf(429)]!.text()), `您在 10 分钟内已有 ${giftLookupMissesPerUser} 次卡号没有找到人，暂停查找`);
  t.equal(misses(), giftLookupMissesPerUser, 'never more misses than the limit');
  const relative = await give(volunteer, member('刘德顺').cardNumber);
  t.equal(relative.status, 429, 'a typed card number is refused while paused, whoever it belongs to');
  const before = tableCounts(db);
  clock.advance(lookupWindowMs + 1000);
  const later = await give(volunteer, member('刘德顺').cardNumber);
  t.equal(later.status, 303, 'after the window the relative\'s card works again');
  t.equal(tableCounts(db).member_gifts, before.member_gifts! + 1);
});
