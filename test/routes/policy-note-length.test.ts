import t from 'tap';
import { createTestApp, signedInAs, visibleText } from '../helpers/web.ts';
import { key } from './redemption/helpers.ts';

/**
 * The note of a dated version (service standard, redemption policy, star policy) is at most 200 characters,
 * as the forms say: a longer one is refused with the limit named, never cut short in silence.
 */
t.test('a policy note over 200 characters is refused with the limit, and nothing is published', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const admin = await signedInAs(app, 'admin');
  const versions = () => ['service_standard_versions', 'policy_versions', 'star_policy_versions']
    .map((table) => db.$client.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number);
  const before = versions();
  const note = '说明'.repeat(100) + '多';
  for (const [page, url] of [['/hours/standard', '/hours/standard'], ['/policy', '/policy/versions'], ['/stars/policy', '/stars/policy']] as const) {
    await admin.get(page);
    const answer = await admin.post(url, { effective_date: '2099-01-01', note, idempotency_key: key() });
    t.equal(answer.statusCode, 422, `${url}: 422`);
    t.match(visibleText(answer.body), '太长了：最多 200 个字。', `${url}: the limit is named`);
  }
  t.same(versions(), before, 'no version published');
});
