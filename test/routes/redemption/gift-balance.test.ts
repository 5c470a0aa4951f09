import t from 'tap';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { available, key, pin, redemptionApp, tableCounts } from './helpers.ts';

/**
 * A coordinator may key in a gift for a member of the area, but the member's
 * balance is theirs: a gift larger than the balance is refused for "too few
 * credits, N available" only after the giver's PIN, never before.
 */
t.test('a gift keyed in by staff names the giver\'s balance only after the giver\'s PIN', async (t) => {
  const { app, db, member } = await redemptionApp();
  t.teardown(() => app.close());
  const wang = member('王秀英'); // 10 hours in the demo, in the coordinator's township
  const liu = member('刘德顺'); // her father
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/gifts');
  const before = tableCounts(db);
  const balance = available(db, `wallet:m${wang.id}`);

  const guessed = await coordinator.post('/gifts', { kind: 'gift', from: wang.cardNumber, to: liu.cardNumber, amount: '99', pin: '999000', idempotency_key: key() });
  t.equal(guessed.statusCode, 422, 'the wrong PIN is what is refused');
  const text = visibleText(guessed.body);
  t.match(text, '密码不对');
  t.notMatch(text, '余额不足', 'nothing about the balance');
  t.notMatch(text, '可用 10 小时');
  t.same(tableCounts(db), before, 'nothing written');

  const withPin = await coordinator.post('/gifts', { kind: 'gift', from: wang.cardNumber, to: liu.cardNumber, amount: '99', pin, idempotency_key: key() });
  t.equal(withPin.statusCode, 409);
  t.match(visibleText(withPin.body), '余额不足：可用 10 小时，需要 99 小时。', 'with the member\'s PIN, the member is there');
  t.same(tableCounts(db), before);
  t.equal(available(db, `wallet:m${wang.id}`), balance);
});
