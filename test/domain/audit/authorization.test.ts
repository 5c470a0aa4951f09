import { readFileSync } from 'node:fs';
import t from 'tap';
import { auditEntries } from '../../../src/domain/audit/audit-page.ts';
import { recordAudit } from '../../../src/domain/audit/audit.ts';
import { hoursFixture, startMs } from '../hours/fixture.ts';

/** Issue 15: the audit page asks the domain, which checks the role (the 403 page) before it reads the log of the actor's scope. */

t.test('the audit log: the 403 page without an office or admin role; an office reads its scope, the admin everything', async (t) => {
  const f = hoursFixture();
  const entry = (regionCode: string | null) => recordAudit(f.db, { action: 'test.entry', actorUserId: f.admin.userId, objectType: 'region', objectId: regionCode ?? 'none', regionCode }, startMs);
  entry('433123101001');
  entry('433122100201');
  entry(null);
  const before = f.db.$client.prepare('SELECT count(*) FROM audit_log').pluck().get();
  for (const [name, actor] of [['volunteer', f.volunteer], ['coordinator', f.coordinator]] as const) {
    const refused = auditEntries(f.db, actor, { limit: 50 });
    t.same(refused, { ok: false, status: 403, problems: [{ code: 'errors.forbidden.message' }] }, `a ${name} gets the 403 page`);
  }
  t.equal(f.db.$client.prepare('SELECT count(*) FROM audit_log').pluck().get(), before, 'reading wrote nothing');
  const ours = (outcome: ReturnType<typeof auditEntries>) => (outcome.ok ? outcome.value.filter((row) => row.action === 'test.entry').map((row) => row.regionCode) : outcome);
  const county = auditEntries(f.db, f.countyOffice, { limit: 50 });
  t.same(ours(county), ['433123101001'], "the county office reads its county's entries only");
  const all = auditEntries(f.db, f.admin, { limit: 50 });
  t.same(ours(all), [null, '433122100201', '433123101001'], 'the admin reads every entry, newest first');
  const middle = all.ok ? all.value.find((row) => row.regionCode === '433122100201')?.id : 0;
  const older = auditEntries(f.db, f.admin, { limit: 50, ...(middle !== undefined ? { beforeId: middle } : {}) });
  t.same(ours(older), ['433123101001'], 'older than an entry');
});

t.test('the audit route file calls no request.authorize', async (t) => {
  const source = readFileSync(new URL('../../../src/routes/audit/routes.ts', import.meta.url), 'utf8');
  t.notOk(source.includes('request.authorize('));
  t.notOk(/from '[./]+\/domain\/access\/authorize\.ts'/.test(source), 'and imports no authorize');
});
