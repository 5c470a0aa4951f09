import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { seedDemo } from '../../../src/domain/demo/seed.ts';
import { seedPeople } from '../../../src/domain/demo/people.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';

t.test('the demo people seed fills the demo villages once', async (t) => {
  const db = openDatabase(':memory:');
  const secrets = testSecrets();
  t.equal(seedPeople(db, secrets), false, 'nothing without the demo regions');
  await seedDemo(db, Date.UTC(2026, 10, 23));
  t.equal(seedPeople(db, secrets, Date.UTC(2026, 10, 23)), true);
  const counts = (table: string) => (db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  t.same([counts('members'), counts('elders'), counts('teams'), counts('team_activities')], [37, 12, 4, 4]);
  t.equal((db.$client.prepare("SELECT count(*) AS n FROM members WHERE status = 'pending'").get() as { n: number }).n, 1, 'one self-registration waits for review');
  t.equal(seedPeople(db, secrets, Date.UTC(2026, 10, 23)), false, 'a second run writes nothing');
  t.equal(counts('members'), 37);
});
