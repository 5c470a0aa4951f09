import t from 'tap';
import { signedInAs } from '../../helpers/web.ts';
import { redemptionApp } from './helpers.ts';

t.test('a card QR scanned by a clerk opens the counter for that member; others see the card page', async (t) => {
  const { app, member } = await redemptionApp();
  t.teardown(() => app.close());
  const luo = member('罗春兰');

  const clerk = await signedInAs(app, 'clerk');
  const scanned = await clerk.get(`/c/${luo.token}`);
  t.equal(scanned.statusCode, 303);
  t.equal(scanned.headers.location, `/counter/scan/${luo.token}`);
  const counter = await clerk.get(scanned.headers.location as string);
  t.equal(counter.statusCode, 303, 'the counter resolves the card to the member at the clerk\'s site');
  t.match(String(counter.headers.location), /^\/counter\/1\/m\//);

  const anonymous = await app.inject({ url: `/c/${luo.token}` });
  t.equal(anonymous.statusCode, 200, 'a passer-by only learns the card is valid');
  t.notMatch(anonymous.body, '罗春兰');
  const coordinator = await signedInAs(app, 'coordinator');
  t.equal((await coordinator.get(`/c/${luo.token}`)).statusCode, 200, 'a coordinator gets the card page, not the counter');
});
