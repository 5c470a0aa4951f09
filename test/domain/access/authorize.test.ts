import fc from 'fast-check';
import t from 'tap';
import { authorize, permission, regionScopes, type Actor, type Role } from '../../../src/domain/access/authorize.ts';

const canView = permission('test.view', ['office', 'admin']);
const actor = (role: Role, regionPath: string | null, siteId: number | null = null): Actor => ({
  userId: 1,
  grants: [{ role, regionCode: regionPath?.split('/').filter(Boolean).at(-1) ?? null, regionPath, siteId }],
});

t.test('role and region subtree decide', async (t) => {
  const office = actor('office', '/430000/433100/433123/');
  t.ok(authorize(office, canView, { regionPath: '/430000/433100/433123/' }), 'its own county');
  t.ok(authorize(office, canView, { regionPath: '/430000/433100/433123/433123101/433123101001/' }), 'a village below');
  t.notOk(authorize(office, canView, { regionPath: '/430000/433100/' }), 'the prefecture above');
  t.notOk(authorize(office, canView, { regionPath: '/430000/430500/430524/' }), 'another county');
  t.notOk(authorize(office, canView, { regionPath: '/430000/433100/4331230/' }), 'a code that only starts with the same digits');
  t.notOk(authorize(actor('volunteer', '/430000/433100/433123/'), canView, { regionPath: '/430000/433100/433123/' }), 'wrong role');
  t.notOk(authorize(null, canView), 'nobody signed in');
});

t.test('sites: a clerk acts at their site only; a region role covers sites in its region', async (t) => {
  const canSell = permission('test.sell', ['clerk', 'office']);
  const clerk = actor('clerk', null, 7);
  t.ok(authorize(clerk, canSell, { siteId: 7 }));
  t.notOk(authorize(clerk, canSell, { siteId: 8 }));
  t.notOk(authorize(clerk, canSell, { regionPath: '/430000/' }));
  const office = actor('office', '/430000/433100/433123/');
  t.ok(authorize(office, canSell, { siteId: 8, regionPath: '/430000/433100/433123/433123101/' }));
  t.notOk(authorize(office, canSell, { siteId: 8, regionPath: '/430000/430500/' }));
  t.notOk(authorize(office, canSell, { siteId: 8 }), 'a site of unknown region is not covered by a region role');
});

t.test('regionScopes drops paths inside another', async (t) => {
  const several: Actor = {
    userId: 1,
    grants: [
      { role: 'office', regionCode: '433123', regionPath: '/430000/433100/433123/', siteId: null },
      { role: 'office', regionCode: '433100', regionPath: '/430000/433100/', siteId: null },
      { role: 'office', regionCode: '430524', regionPath: '/430000/430500/430524/', siteId: null },
      { role: 'volunteer', regionCode: '430000', regionPath: '/430000/', siteId: null },
    ],
  };
  t.same(regionScopes(several, canView), ['/430000/433100/', '/430000/430500/430524/']);
});

t.test('property: allowed exactly when the object path starts with the scope path', async () => {
  const code = fc.stringMatching(/^[0-9]{2}$/);
  const path = fc.array(code, { minLength: 1, maxLength: 5 }).map((codes) => `/${codes.join('/')}/`);
  fc.assert(
    fc.property(path, path, (scope, object) => {
      const allowed = authorize(actor('office', scope), canView, { regionPath: object }) !== null;
      return allowed === object.startsWith(scope);
    }),
  );
});
