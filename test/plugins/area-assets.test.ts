import t from 'tap';
import { areaAssetNames } from '../../src/plugins/render.ts';
import { createHoursApp } from '../routes/hours/helpers.ts';
import { signedInAs } from '../helpers/web.ts';

/** The stylesheet and script links of a page, by plain name (`hours.css`), in order. */
function linkedAreaAssets(html: string): string[] {
  const names = [...html.matchAll(/(?:href|src)="\/assets\/([a-z-]+)\.[0-9a-f]+\.(css|js)"/g)].map((m) => `${m[1]}.${m[2]}`);
  // The layout's own links (every page has them) are not area assets.
  return names.filter((name) => name !== 'app.css' && name !== 'htmx.min.js' && name !== 'offline.js');
}

t.test('the area of a page decides its stylesheet and script, one way for every page', async (t) => {
  t.same(areaAssetNames('pages/hours/new'), ['hours.css']);
  t.same(areaAssetNames('pages/hours/queue'), ['hours.css', 'hours-queue.css'], 'the queue alone adds its table rules');
  t.same(areaAssetNames('pages/redemption/counter/site'), ['redemption.css', 'redemption.js']);
  t.same(areaAssetNames('pages/people/members/show'), ['people.css']);
  t.same(areaAssetNames('pages/reports/index'), ['reports.css']);
  t.same(areaAssetNames('pages/accounts/staff/index'), [], 'an area without a stylesheet links none');
  t.same(areaAssetNames('partials/hours/passbook-rows'), [], 'partials link nothing themselves');
});

t.test('pages link their area assets in full pages and in partial swaps alike', async (t) => {
  const { app } = await createHoursApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator');
  const queue = await coordinator.get('/hours/queue');
  t.equal(queue.statusCode, 200);
  t.same(linkedAreaAssets(queue.body), ['hours.css', 'hours-queue.css']);
  const volunteer = await signedInAs(app, 'volunteer');
  const form = await volunteer.get('/hours/new');
  t.equal(form.statusCode, 200);
  t.same(linkedAreaAssets(form.body), ['hours.css'], 'the logging form does not carry the queue rules');
  const partial = await volunteer.get('/hours/new', { 'hx-request': 'true', 'hx-request-type': 'partial' });
  t.notMatch(partial.body, '<html');
  t.same(linkedAreaAssets(partial.body), ['hours.css'], 'a partial swap brings its stylesheet');
  const clerk = await signedInAs(app, 'clerk');
  const counter = await clerk.get('/counter');
  t.equal(counter.statusCode, 200);
  t.same(linkedAreaAssets(counter.body), ['redemption.css', 'redemption.js']);
  const office = await signedInAs(app, 'office');
  const account = await office.get('/account');
  t.same(linkedAreaAssets(account.body), []);
});
