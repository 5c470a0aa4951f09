import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { migrationsFolder } from '../../../src/db/client.ts';
import { logService } from '../../../src/domain/hours/log.ts';
import { createTeam } from '../../../src/domain/people/teams/teams.ts';
import { hoursFixture } from '../hours/fixture.ts';

/**
 * Migration 0018 copies the keys the hours records, members, elders, teams and
 * team activities kept in their own column into idempotency_keys with content
 * 'legacy': a form sent again under such a key answers the first row, whatever
 * its content, as it did before the kernel.
 */

function rerunMigration0018(db: ReturnType<typeof hoursFixture>['db']): void {
  const text = readFileSync(join(migrationsFolder, '0018_hours_people_idempotency_keys.sql'), 'utf8');
  for (const statement of text.split('--> statement-breakpoint')) db.$client.exec(statement);
}

t.test('an hours record and a team written before the kernel answer a resend under their key', async (t) => {
  const f = hoursFixture();
  const input = f.visit();
  const first = logService(f.context, f.volunteer, input);
  const teamKey = randomUUID();
  const team = createTeam(f.people, f.countyOffice, { name: '老家寨互助队', sponsorUnit: '凤凰县民政局', sponsorKind: 'member_unit', regionCode: '433123101' }, teamKey);
  t.ok(first.ok && team.ok);
  if (!first.ok || !team.ok) return;
  // Before the kernel: the keys lived only in the tables' own columns.
  f.db.$client.exec('DELETE FROM idempotency_keys');
  rerunMigration0018(f.db);
  t.same(f.db.$client.prepare('SELECT scope, content_hash FROM idempotency_keys ORDER BY scope').all(), [
    { scope: 'hours.log', content_hash: 'legacy' }, { scope: 'teams.create', content_hash: 'legacy' },
  ]);
  const records = Number(f.db.$client.prepare('SELECT count(*) FROM service_records').pluck().get());
  const again = logService(f.context, f.volunteer, { ...input, endTime: '09:45' });
  t.ok(again.ok && again.value.replayed && again.value.record.id === first.value.record.id, 'the first record, as before');
  t.equal(Number(f.db.$client.prepare('SELECT count(*) FROM service_records').pluck().get()), records, 'nothing written');
  const teamAgain = createTeam(f.people, f.countyOffice, { name: '别的队', sponsorUnit: '凤凰县民政局', sponsorKind: 'member_unit', regionCode: '433123101' }, teamKey);
  t.same(teamAgain, { ok: true, value: { teamId: team.value.teamId, replayed: true } });
});
