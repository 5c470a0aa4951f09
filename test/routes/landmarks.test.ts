import t from 'tap';
import { duplicateLandmarks } from '../helpers/landmarks.ts';
import { askers, fillUrl, matrix, matrixApp, send, signInAll, sidesOf } from './access-matrix.ts';

/**
 * axe's landmark-unique rule, on every page of the application: every GET
 * route of the access matrix, as every role, about the home and the away
 * object, in Chinese, in elder mode and in English. Two regions, navigations
 * or forms with the same name cannot be told apart in a screen reader's list
 * of landmarks. The browser sweeps (test/e2e, helper axeViolations) run the
 * rule itself on the pages they visit; this covers the pages they do not.
 */
const { app, db, fixtures } = await matrixApp();
t.teardown(() => app.close());
const sessions = await signInAll(app);

t.test('the check finds landmarks with the same role and name', async (t) => {
  const page = '<h2 id="a">统一服务标准</h2><h2 id="b">统一服务标准</h2><section aria-labelledby="a"></section><section aria-labelledby="b"></section>'
    + '<nav aria-label="分页"></nav><nav aria-label="分页"></nav><form aria-label="筛选"></form><form aria-label="筛选"></form><form></form><form></form>';
  t.same(duplicateLandmarks(page), ['region: 统一服务标准 ×2', 'navigation: 分页 ×2', 'form: 筛选 ×2']);
  t.same(duplicateLandmarks('<nav aria-label="主导航"></nav><nav aria-label="分页"></nav><section><h2>无名</h2></section><section></section>'), []);
});

const variants = [
  { name: 'Chinese', cookie: '' },
  { name: 'elder mode', cookie: 'sh_elder=1' },
  { name: 'English', cookie: 'sh_lang=en' },
];

for (const variant of variants) {
  t.test(`every HTML page, as every role (${variant.name}): landmark names are unique`, async (t) => {
    const found: string[] = [];
    let pages = 0;
    for (const row of matrix.filter((candidate) => candidate.method === 'GET')) {
      for (const asker of askers) {
        for (const side of sidesOf(row)) {
          const url = fillUrl(row, fixtures, side);
          const session = sessions[asker];
          const cookie = [session.cookie, variant.cookie].filter(Boolean).join('; ');
          const response = await send(app, db, { ...session, cookie }, 'GET', url);
          if (!String(response.headers['content-type'] ?? '').startsWith('text/html')) continue;
          pages += 1;
          for (const duplicate of duplicateLandmarks(response.body)) found.push(`${asker} GET ${url}: ${duplicate}`);
        }
      }
    }
    t.ok(pages > 300, `${pages} HTML answers read`);
    t.same(found, [], 'no two landmarks share a role and a name');
  });
}
