import t from 'tap';
import { translator } from '../../../src/i18n/index.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { createNetworkApp, listeningAs, signedInAs, visibleText, type TestApp } from '../../helpers/web.ts';

const zh = translator('zh-CN');

/**
 * Confirming a service request writes its service record (status 'completed',
 * source 'request', linked by request_id) with the payment, once; the record
 * never waits for review, and no reviewer can approve, reject or reverse it.
 */
function requestRecords(test: TestApp) {
  return test.db.$client.prepare(`SELECT id, request_id AS requestId, status, source, duration_minutes AS minutes, credit_minutes AS credit, hold_transfer_id AS hold,
      service_type_code AS type FROM service_records WHERE request_id IS NOT NULL ORDER BY id`).all() as { id: number; requestId: number; status: string; source: string; minutes: number; credit: number; hold: string; type: string }[];
}
const openRequest = (test: TestApp) => test.db.$client.prepare("SELECT id FROM service_requests WHERE status = 'open' ORDER BY id LIMIT 1").pluck().get() as number;
const counts = (test: TestApp) => test.db.$client.prepare(`SELECT (SELECT count(*) FROM ledger_transfers) AS transfers, (SELECT count(*) FROM service_records) AS records,
    (SELECT count(*) FROM audit_log) AS audit, (SELECT count(*) FROM idempotency_keys) AS keys`).get();

t.test('confirming a request writes its service record with the payment; it never waits in the queue and cannot be decided or reversed', async (t) => {
  const test = await createNetworkApp();
  t.teardown(() => test.app.close());
  const requestId = openRequest(test);
  const volunteer = await signedInAs(test.app, 'volunteer');
  await volunteer.get('/requests');
  t.equal((await volunteer.post(`/requests/${requestId}/accept`, {})).statusCode, 303);
  const coordinator = await signedInAs(test.app, 'coordinator');
  await coordinator.get('/requests');
  t.same(requestRecords(test), [], 'no record before the service is confirmed');
  const credits = () => test.db.$client.prepare("SELECT count(*) FROM ledger_transfers WHERE code = 'service_credit'").pluck().get();
  const creditsBefore = credits();
  t.equal((await coordinator.post(`/requests/${requestId}/confirm`, {})).statusCode, 303);
  const [record] = requestRecords(test);
  t.match(requestRecords(test), [{ requestId, status: 'completed', source: 'request', minutes: 60, credit: 60, hold: `req:${requestId}:hold`, type: 'cleaning' }], 'one record, linked to the request');
  t.equal(credits(), creditsBefore, "no credit is issued for it: the volunteer was paid from the requester's hold");
  t.equal((await coordinator.post(`/requests/${requestId}/confirm`, {})).statusCode, 303, 'confirming again (a double tap) is answered as done');
  t.equal(requestRecords(test).length, 1, '... and writes no second record');

  const queue = await coordinator.get('/hours/queue');
  t.equal(queue.statusCode, 200);
  t.notMatch(queue.body, `/hours/records/${record!.id}"`, 'the review queue does not show it');
  const home = await volunteer.get('/hours');
  t.match(visibleText(home.body), zh('hours.status.completed'), "the volunteer's records show it as completed through a request");

  const office = await signedInAs(test.app, 'office');
  const recordPage = await office.get(`/hours/records/${record!.id}`);
  t.equal(recordPage.statusCode, 200);
  t.notMatch(recordPage.body, `/hours/records/${record!.id}/reverse`, 'its page offers no reversal');
  t.match(visibleText(recordPage.body), zh('hours.source.request'), 'and says it came from a service request');
  t.match(visibleText(recordPage.body), zh('hours.status.completed'));
  const elderId = test.db.$client.prepare('SELECT elder_id FROM service_records WHERE id = ?').pluck().get(record!.id) as number;
  const elderPage = await coordinator.get(`/coverage/elders/${elderId}`);
  t.match(visibleText(elderPage.body), zh('hours.source.request'), "the elder's page lists the service received through the request");
  const before = counts(test);
  for (const [action, form] of [['approve', {}], ['reject', { reason: '不对' }], ['reverse', { reverse_reason: '重复登记' }]] as const) {
    const answer = await office.post(`/hours/records/${record!.id}/${action}`, form);
    t.equal(answer.statusCode, 409, `${action} is refused`);
    t.match(visibleText(answer.body), zh('hours.error.record_from_request'), `${action}: the page says why, in Chinese`);
  }
  t.same(counts(test), before, 'the refusals wrote nothing');
  t.match(requestRecords(test), [{ status: 'completed' }]);
  t.ok(verifyLedger(test.db.$client).ok);
});

t.test('six confirmations at once through a listening server: one payment, one record', async (t) => {
  const test = await listeningAs('coordinator', createNetworkApp);
  t.teardown(() => test.app.close());
  const requestId = openRequest(test);
  const volunteer = await signedInAs(test.app, 'volunteer');
  await volunteer.get('/requests');
  t.equal((await volunteer.post(`/requests/${requestId}/accept`, {})).statusCode, 303);
  await test.client.get('/requests');
  t.equal(test.db.$client.prepare('SELECT status FROM service_requests WHERE id = ?').pluck().get(requestId), 'accepted');
  const answers = await Promise.all(Array.from({ length: 6 }, () => test.client.post(`/requests/${requestId}/confirm`, {})));
  t.same(answers.map((answer) => answer.status), Array(6).fill(303), 'every confirmation is answered as done');
  t.equal(requestRecords(test).length, 1, 'one record');
  t.equal(test.db.$client.prepare("SELECT count(*) FROM ledger_transfers WHERE id = ?").pluck().get(`req:${requestId}:pay`), 1, 'one payment');
  t.equal(test.db.$client.prepare("SELECT count(*) FROM idempotency_keys WHERE key = ? AND scope = 'hours.request_record'").pluck().get(`request-${requestId}`), 1, 'one key in the idempotency table');
  t.ok(verifyLedger(test.db.$client).ok);
});
