import t from 'tap';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { createHoursApp } from './helpers.ts';

t.test('every hours page renders for the roles that use it', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  for (const url of ['/hours', '/hours/new', '/passbook', '/passbook/statement?from=2026-09-01&to=2026-11-23', '/hours/standard']) {
    const response = await volunteer.get(url);
    t.equal(response.statusCode, 200, `volunteer ${url}: ${response.statusCode} ${response.statusCode !== 200 ? visibleText(response.body).slice(0, 300) : ''}`);
  }
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  for (const url of ['/hours/queue', '/hours/new', '/coverage', '/activities', '/activities/1/sign-in', '/hours/records/1']) {
    const response = await coordinator.get(url);
    t.equal(response.statusCode, 200, `coordinator ${url}: ${response.statusCode} ${response.statusCode !== 200 ? visibleText(response.body).slice(0, 300) : ''}`);
  }
  const admin = await signedInAs(testApp.app, 'admin');
  const standard = await admin.get('/hours/standard');
  t.equal(standard.statusCode, 200);
  t.match(visibleText(standard.body), '发布新版本');
});
