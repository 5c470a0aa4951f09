import t from 'tap';
import { keyedMac } from '../../../src/lib/crypto.ts';
import { presenceValidMs } from '../../../src/domain/redemption/references.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { available, redemptionApp, tableCounts } from './helpers.ts';

/**
 * A scanned card makes the member "present" for one counter visit: the basket
 * page shows the balance for 30 minutes, then the same URL answers like a
 * member found by a typed card number (masked name, no balance), never an
 * error page.
 */
t.test('the present mark of a scanned card expires after a counter visit', async (t) => {
  const { app, db, clock, member, secrets } = await redemptionApp();
  t.teardown(() => app.close());
  const luo = member('罗春兰');
  const clerk = await signedInAs(app, 'clerk');
  await clerk.get('/counter/1');
  const found = await clerk.post('/counter/1/identify', { lookup: `http://localhost/c/${luo.token}` });
  t.equal(found.statusCode, 303);
  const url = found.headers.location as string;
  const balance = available(db, `wallet:m${luo.id}`);
  t.ok(balance > 0, 'the demo member has credits');

  const during = await clerk.get(url);
  t.equal(during.statusCode, 200);
  t.match(visibleText(during.body), '可用时间', 'present: the balance is shown');
  t.match(visibleText(during.body), '罗春兰');
  t.notMatch(during.body, 'id="presence-hint"');

  clock.advance(presenceValidMs - 60_000);
  t.match(visibleText((await clerk.get(url)).body), '可用时间', 'still the same visit one minute before the end');

  const before = tableCounts(db);
  clock.advance(2 * 60_000);
  const after = await clerk.get(url);
  t.equal(after.statusCode, 200, 'an expired mark is not an error page');
  const text = visibleText(after.body);
  t.notMatch(text, '可用时间', 'no balance once the visit is over');
  t.notMatch(text, '罗春兰', 'the name is masked again');
  t.match(after.body, 'id="presence-hint"');
  t.same(tableCounts(db), before, 'reading the page writes nothing');
  t.equal(available(db, `wallet:m${luo.id}`), balance);

  // The expiry is inside the MAC: a clerk who moves it forward has a forged reference.
  const [id, expiry, mac] = url.split('/').at(-1)!.split('.');
  const later = (parseInt(expiry!, 36) + 3600).toString(36);
  t.equal((await clerk.get(`/counter/1/m/${id}.${later}.${mac}`)).statusCode, 404, 'a moved expiry is refused like a forged reference');

  // A present reference of the older form (no expiry) reads as not present.
  const legacy = keyedMac(secrets.cryptoProfile, secrets.tokenSigningKey, `counter:1:${luo.id}:present`).toString('base64url').slice(0, 22);
  const old = await clerk.get(`/counter/1/m/${luo.id}.${legacy}`);
  t.equal(old.statusCode, 200);
  t.notMatch(visibleText(old.body), '可用时间', 'an old present link shows no balance');
});
