import t from 'tap';
import { createTestApp, signedInAs } from '../../helpers/web.ts';

// The server remembers the claims of access tokens it has verified (src/plugins/session.ts), so the
// signature is checked once per token; what a token allows must still end at its exp.
const sixteenMinutesMs = 16 * 60 * 1000;

t.test('an access token already verified (and remembered) still expires at its exp, by the app clock', async (t) => {
  const { app, clock } = await createTestApp();
  t.teardown(() => app.close());
  const browser = await signedInAs(app, 'office');
  browser.cookies.delete('sh_rt');
  t.equal((await browser.get('/audit')).statusCode, 200, 'the token works while fresh');
  t.equal((await browser.get('/audit')).statusCode, 200, 'and again, from the verified-token cache');
  clock.advance(sixteenMinutesMs);
  const response = await browser.get('/audit');
  t.equal(response.statusCode, 303, 'the same token, 16 minutes later, is refused');
  t.equal(response.headers.location, '/sign-in?next=%2Faudit&expired=1');
});
