import { readFileSync } from 'node:fs';
import t from 'tap';
import type { Actor } from '../../../src/domain/access/authorize.ts';
import { elderServices, visitCoverage } from '../../../src/domain/hours/coverage.ts';
import { logService } from '../../../src/domain/hours/log.ts';
import { defaultQueueOrder } from '../../../src/domain/hours/queue.ts';
import { queuePageFor } from '../../../src/domain/hours/queue-page.ts';
import { approveMany, approveRecord, checkCanVerify, recordToDecide, rejectRecord, reverseRecord } from '../../../src/domain/hours/review.ts';
import { standardPage } from '../../../src/domain/hours/standard-page.ts';
import { hoursFixture, type HoursFixture } from './fixture.ts';

/**
 * Issue 15: the hours routes (coverage, review, standard) no longer call
 * request.authorize; each domain function they call checks the role first
 * (the 403 page, whatever the object, before it is looked up), then the
 * object's scope (outside it: the 404 a missing object gets).
 */

type Answer = { ok: true } | { ok: false; status: number; problems: readonly { code: string }[] } | null;

function answer(outcome: Answer): string {
  if (outcome === null) return 'ok';
  return outcome.ok ? 'ok' : `${outcome.status} ${outcome.problems[0]?.code}`;
}

/** What the database holds that any of these functions could write. */
function written(f: HoursFixture): Record<string, unknown> {
  const all = (source: string) => f.db.$client.prepare(source).all();
  return {
    records: all('SELECT id, status, reviewed_by_user_id, rejection_reason FROM service_records ORDER BY id'),
    transfers: all('SELECT count(*) AS n FROM ledger_transfers'),
    audit: all('SELECT count(*) AS n FROM audit_log'),
  };
}

function pendingRecord(f: HoursFixture): number {
  const outcome = logService(f.context, f.volunteer, f.visit());
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems));
  return outcome.value.record.id;
}

/** Every hours call the coverage and review pages make, on record `recordId` and elder `elderId`. */
function reviewerCalls(f: HoursFixture, recordId: number, elderId: number): [string, (actor: Actor) => Answer][] {
  return [
    ['visitCoverage', (actor) => visitCoverage(f.context, actor)],
    ['elderServices', (actor) => elderServices(f.context, actor, elderId)],
    ['checkCanVerify', (actor) => checkCanVerify(actor)],
    ['recordToDecide', (actor) => recordToDecide(f.context, actor, recordId)],
    ['approveRecord', (actor) => approveRecord(f.context, actor, recordId)],
    ['rejectRecord', (actor) => rejectRecord(f.context, actor, recordId, '时间与签到记录不符')],
    ['reverseRecord', (actor) => reverseRecord(f.context, actor, recordId, '重复登记')],
    ['approveMany', (actor) => approveMany(f.context, actor, [recordId])],
    ['approveMany (nothing ticked)', (actor) => approveMany(f.context, actor, [])],
    ['queuePageFor', (actor) => queuePageFor(f.context, actor, { filter: {}, order: defaultQueueOrder, page: 1, pageSize: 100, skippedIds: [recordId] })],
  ];
}

t.test('without a reviewer role: the 403 page from every call, for a real and a missing object alike, and nothing written', async (t) => {
  const f = hoursFixture();
  const recordId = pendingRecord(f);
  const before = written(f);
  for (const [objectRecord, objectElder, label] of [[recordId, f.elderId, 'existing'], [999_999, 999_999, 'missing']] as const) {
    for (const [name, call] of reviewerCalls(f, objectRecord, objectElder)) {
      t.equal(answer(call(f.volunteer)), '403 errors.forbidden.message', `${name} (${label} object) as a volunteer`);
    }
  }
  t.same(written(f), before, 'nothing written');
});

t.test('with the role: a record or elder outside the scope answers like a missing one; inside it, the call goes through', async (t) => {
  const f = hoursFixture();
  const recordId = pendingRecord(f);
  t.equal(answer(recordToDecide(f.context, f.otherCoordinator, recordId)), '404 hours.error.record_not_found');
  t.equal(answer(recordToDecide(f.context, f.otherCoordinator, 999_999)), '404 hours.error.record_not_found');
  t.equal(answer(elderServices(f.context, f.otherCoordinator, f.elderId)), '404 hours.error.elder_not_found');
  t.equal(answer(elderServices(f.context, f.otherCoordinator, 999_999)), '404 hours.error.elder_not_found');
  const before = written(f);
  t.equal(answer(approveRecord(f.context, f.otherCoordinator, recordId)), '404 hours.error.record_not_found');
  t.same(written(f), before, 'the refused approval wrote nothing');
  t.equal(answer(recordToDecide(f.context, f.coordinator, recordId)), 'ok');
  t.equal(answer(elderServices(f.context, f.coordinator, f.elderId)), 'ok');
  t.equal(answer(visitCoverage(f.context, f.coordinator)), 'ok');
  const page = queuePageFor(f.context, f.coordinator, { filter: {}, order: defaultQueueOrder, page: 1, pageSize: 100, skippedIds: [] });
  t.ok(page.ok && page.value.items.some((item) => item.id === recordId), "the record is in the coordinator's queue");
  t.equal(answer(approveRecord(f.context, f.coordinator, recordId)), 'ok');
});

t.test('the standard: read by every role, the 403 page for an account with none', async (t) => {
  const f = hoursFixture();
  const noRole: Actor = { userId: f.volunteer.userId, memberId: null, ipAddress: null, grants: [] };
  const before = written(f);
  t.equal(answer(standardPage(f.context, noRole)), '403 errors.forbidden.message');
  t.same(written(f), before, 'nothing written');
  const read = standardPage(f.context, f.volunteer);
  t.ok(read.ok && read.value.current !== undefined && !read.value.top, 'a volunteer reads the standard in force, and may not change it');
});

t.test('the hours route files call no request.authorize (the domain checks the role)', async (t) => {
  for (const file of ['coverage', 'review', 'standard']) {
    const source = readFileSync(new URL(`../../../src/routes/hours/${file}.ts`, import.meta.url), 'utf8');
    t.notOk(source.includes('request.authorize('), `src/routes/hours/${file}.ts`);
    t.notOk(/from '[./]+\/domain\/access\/authorize\.ts'/.test(source), `src/routes/hours/${file}.ts imports no authorize`);
  }
});
