import { join } from 'node:path';
import t from 'tap';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { migrationsFolder, openDatabase } from '../../src/db/client.ts';
import { migrationsBefore } from '../helpers/migrations.ts';
import { defaultPolicy } from '../../src/domain/redemption/policy.ts';
import { policyInForce } from '../../src/domain/redemption/policy-versions.ts';

/**
 * The policy-versions migration (issue 20) on a database written before it:
 * the undated `settings` row becomes version 1, in force from 2000-01-01, and
 * the row is gone; without the row, version 1 holds the defaults.
 */
const migrationName = 'policy_versions';

const instant = Date.UTC(2026, 10, 23, 2, 0, 0);

t.test('the settings row becomes version 1 from 2000-01-01', async (t) => {
  const dir = t.testdir();
  const db = openDatabase(join(dir, 'legacy.db'), { migrate: false });
  t.teardown(() => db.$client.close());
  migrate(db, { migrationsFolder: migrationsBefore(dir, migrationName) });
  const stored = { balanceCapMinutes: 1200 * 60, capMode: 'divert', careAgeYears: 65, giftsRelativesOnly: false };
  db.$client.prepare("INSERT INTO settings (key, value, updated_at_ms) VALUES ('redemption.policy', ?, 1700000000000)").run(JSON.stringify(stored));
  migrate(db, { migrationsFolder });
  t.same(db.$client.prepare('SELECT version_number AS number, effective_date AS date, published_at_ms AS at, withdrawn_at_ms AS withdrawn FROM policy_versions').all(), [{ number: 1, date: '2000-01-01', at: 1700000000000, withdrawn: null }]);
  t.equal(db.$client.prepare("SELECT count(*) FROM settings WHERE key = 'redemption.policy'").pluck().get(), 0, 'the undated row is gone');
  const inForce = policyInForce(db, instant);
  t.same(inForce.rules, { ...defaultPolicy, ...stored }, 'the old rules, with the new rules off');
  t.equal(inForce.versionNumber, 1);
  t.equal(policyInForce(db, Date.UTC(2000, 0, 1, 0, 0, 0)).versionNumber, 1, 'in force from the first Shanghai day of 2000');
});

t.test('without a settings row, version 1 holds the defaults', async (t) => {
  const dir = t.testdir();
  const db = openDatabase(join(dir, 'fresh.db'));
  t.teardown(() => db.$client.close());
  t.same(policyInForce(db, instant).rules, defaultPolicy);
  t.equal(policyInForce(db, instant).versionNumber, 1);
});
