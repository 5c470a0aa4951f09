import t from 'tap';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { redemptionApp } from './helpers.ts';

/** Site 1 (旺溪村爱心超市, 隆回县) has the demo clerk; the city office (邵阳市) is over it. */
t.test('the site page edits an item name and price, removes a clerk, edits and closes the site', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());
  const item = db.$client.prepare(`SELECT id, price_minutes AS price FROM site_items WHERE site_id = 1 AND name = '毛巾'`).get() as { id: number; price: number };
  const clerk = await signedInAs(app, 'clerk');
  const page = await clerk.get('/sites/1/manage');
  t.match(visibleText(page.body), '修改名称和价格');
  t.notMatch(visibleText(page.body), '站点信息', 'a clerk does not see the site form');

  const bad = await clerk.post(`/sites/1/items/${item.id}`, { name: '毛巾', price_hours: '0' });
  t.equal(bad.statusCode, 422);
  t.match(visibleText(bad.body), '价格');
  t.equal(db.$client.prepare('SELECT price_minutes FROM site_items WHERE id = ?').pluck().get(item.id), item.price, 'a refusal changes nothing');
  const saved = await clerk.post(`/sites/1/items/${item.id}`, { name: '纯棉毛巾', price_hours: '0.5' });
  t.equal(saved.statusCode, 303);
  t.same(db.$client.prepare('SELECT name, price_minutes AS price FROM site_items WHERE id = ?').get(item.id), { name: '纯棉毛巾', price: 30 });
  t.equal(db.$client.prepare(`SELECT count(*) FROM audit_log WHERE action = 'site.item_update'`).pluck().get(), 1);
  const denied = await clerk.post('/sites/1/details', { name: 'x', kind: 'other', address: 'x', opening_hours: 'x' });
  t.equal(denied.statusCode, 403, 'a clerk does not edit the site');
  t.match(visibleText(denied.body), '您的账户不能使用这个功能', 'the role is what she lacks');
  t.notMatch(visibleText(denied.body), '不在您负责', 'not "outside your area": it is her own site');

  const office = await signedInAs(app, 'office-city');
  const managed = visibleText((await office.get('/sites/1/manage')).body);
  t.match(managed, '站点信息');
  t.match(managed, '移除店员 吴小梅');
  const clerkId = db.$client.prepare(`SELECT user_id FROM user_roles WHERE role = 'clerk' AND site_id = 1`).pluck().get() as number;
  const edited = await office.post('/sites/1/details', { name: '旺溪村爱心超市', kind: 'love_supermarket', address: '隆回县小沙江镇旺溪村村部二楼', opening_hours: '每天 8:00-18:00' });
  t.equal(edited.statusCode, 303);
  t.match(visibleText((await office.get('/sites/1/manage')).body), '隆回县小沙江镇旺溪村村部二楼');
  const noReason = await office.post('/sites/1/active', { active: '0', reason: '' });
  t.equal(noReason.statusCode, 422);
  t.match(visibleText(noReason.body), '原因');
  const closed = await office.post('/sites/1/active', { active: '0', reason: '村部装修' });
  t.equal(closed.statusCode, 303);
  t.match(visibleText((await office.get('/sites/1/manage')).body), '这个站点已关闭');
  t.notMatch(visibleText((await app.inject({ method: 'GET', url: '/sites' })).body), '旺溪村爱心超市', 'off the public list');

  const removed = await office.post(`/sites/1/clerks/${clerkId}/remove`, {});
  t.equal(removed.statusCode, 303);
  const twice = await office.post(`/sites/1/clerks/${clerkId}/remove`, {});
  t.equal(twice.statusCode, 404);
  t.match(visibleText(twice.body), '这个人不是本站点的店员');
  const gone = await clerk.get('/sites/1/manage');
  t.equal(gone.statusCode, 403, 'the removed clerk loses the site at once');
  t.same(db.$client.prepare(`SELECT action FROM audit_log WHERE action IN ('site.update','site.close','site.clerk_remove') ORDER BY id`).pluck().all(), ['site.update', 'site.close', 'site.clerk_remove']);
});

t.test('adding a clerk by phone: only an account of the office\'s area; another area\'s answers like a phone with no account', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());
  const city = await signedInAs(app, 'office-city'); // 邵阳市, over site 1
  await city.get('/sites/1/manage');
  const clerkRows = () => db.$client.prepare("SELECT user_id FROM user_roles WHERE role = 'clerk' AND site_id = 1 ORDER BY user_id").pluck().all() as number[];
  const before = clerkRows();
  const refusal = async (phone: string) => {
    const answer = await city.post('/sites/1/clerks', { phone });
    return { status: answer.statusCode, text: /没有这个手机号的用户[^<]*/.exec(answer.body)?.[0] ?? visibleText(answer.body).slice(0, 200) };
  };
  const nobody = await refusal('13912345678');
  t.same(nobody, { status: 422, text: '没有这个手机号的用户，请先创建账号。' }, 'a phone with no account');
  t.same(await refusal('13800000001'), nobody, 'the 凤凰县 volunteer, outside 邵阳市: the same answer, nothing granted');
  t.same(clerkRows(), before, 'no role granted by a refusal');
  const local = db.$client.prepare(`SELECT u.id, u.phone FROM users u JOIN regions r ON r.code = u.home_region_code
      WHERE r.path LIKE (SELECT path FROM regions WHERE code = '430500') || '%' AND u.id NOT IN (SELECT user_id FROM user_roles WHERE site_id = 1) ORDER BY u.id LIMIT 1`).get() as { id: number; phone: string } | undefined;
  if (!local) return t.fail('the demo has an account of 邵阳市 that is not a clerk of site 1');
  const added = await city.post('/sites/1/clerks', { phone: local.phone });
  t.equal(added.statusCode, 303, 'an account of the area becomes a clerk');
  t.same(clerkRows(), [...before, local.id].sort((a, b) => a - b));
});
