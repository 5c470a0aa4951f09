import { readFileSync } from 'node:fs';
import t from 'tap';
import { getImportBatch, listImportBatches, startImport, uploadRoster } from '../../../../src/domain/people/import/batch.ts';
import { rosterTemplateVillages } from '../../../../src/domain/people/import/template.ts';
import type { Actor } from '../../../../src/domain/people/members/context.ts';
import { peopleFixture, villages, type PeopleFixture } from '../fixture.ts';
import { rosterFile } from './roster-file.ts';

/**
 * Issue 15: the import routes no longer call request.authorize; each import
 * function a page calls checks the role itself (the 403 page's message,
 * whatever the batch or file) and then the batch's scope (outside it: the
 * 404 a missing batch gets).
 */

function written(f: PeopleFixture): Record<string, number> {
  const count = (table: string) => Number(f.db.$client.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
  return Object.fromEntries(['members', 'elders', 'import_batches', 'import_rows', 'audit_log'].map((table) => [table, count(table)]));
}

function answer(outcome: { ok: true } | { ok: false; status: number; problems: { code: string }[] }): string {
  return outcome.ok ? 'ok' : `${outcome.status} ${outcome.problems[0]?.code}`;
}

t.test('without an import role every import function refuses with the 403, for any batch, and writes nothing', async (t) => {
  const f = peopleFixture();
  const file = await rosterFile('members', [['向大山', f.idNumber(501, '1962-02-02'), '13900000001', villages.hongqi]]);
  const uploaded = await uploadRoster(f.context, f.coordinatorA, { kind: 'members', fileName: 'a.xlsx', file });
  if (!uploaded.ok) return t.fail(JSON.stringify(uploaded));
  const before = written(f);
  const self: Actor = { userId: 998, memberId: 1, grants: [{ role: 'volunteer', regionCode: villages.hongqi, regionPath: null, siteId: null }] };
  for (const [who, actor] of [['a clerk', f.nobody], ['a volunteer', self]] as const) {
    for (const batchId of [uploaded.value.batchId, 987654]) {
      t.equal(answer(getImportBatch(f.context, actor, batchId)), '403 errors.forbidden.message', `getImportBatch ${batchId}, ${who}`);
      t.equal(answer(startImport(f.context, actor, batchId)), '403 errors.forbidden.message', `startImport ${batchId}, ${who}`);
    }
    t.equal(answer(listImportBatches(f.context, actor)), '403 errors.forbidden.message', `listImportBatches, ${who}`);
    t.equal(answer(rosterTemplateVillages(f.context, actor)), '403 errors.forbidden.message', `rosterTemplateVillages, ${who}`);
    t.equal(answer(await uploadRoster(f.context, actor, { kind: 'members', fileName: 'b.xlsx', file })), '403 errors.forbidden.message', `uploadRoster, ${who}`);
    t.equal(answer(await uploadRoster(f.context, actor, { kind: 'members', fileName: 'c.xlsx', file: Buffer.from('not a workbook') })), '403 errors.forbidden.message', `uploadRoster of a bad file, ${who}: the role before the file`);
  }
  t.same(written(f), before, 'nothing was written');
});

t.test('with the role, a batch outside the scope is answered exactly like a missing one', async (t) => {
  const f = peopleFixture();
  const file = await rosterFile('members', [['向大山', f.idNumber(501, '1962-02-02'), '13900000001', villages.hongqi]]);
  const uploaded = await uploadRoster(f.context, f.coordinatorA, { kind: 'members', fileName: 'a.xlsx', file });
  if (!uploaded.ok) return t.fail(JSON.stringify(uploaded));
  const before = written(f);
  t.equal(answer(getImportBatch(f.context, f.coordinatorB, uploaded.value.batchId)), answer(getImportBatch(f.context, f.coordinatorB, 987654)));
  t.equal(answer(getImportBatch(f.context, f.coordinatorB, 987654)), '404 people.error.import_not_found');
  t.equal(answer(startImport(f.context, f.coordinatorB, uploaded.value.batchId)), '404 people.error.import_not_found');
  t.equal(answer(rosterTemplateVillages(f.context, f.coordinatorA)), 'ok');
  t.same(written(f), before, 'nothing was written');
});

t.test('the import routes do not authorize: they parse, call the domain, render', async (t) => {
  const source = readFileSync(new URL('../../../../src/routes/people/import/routes.ts', import.meta.url), 'utf8');
  t.notMatch(source, /request\.authorize\(/, 'src/routes/people/import/routes.ts calls no request.authorize');
});
