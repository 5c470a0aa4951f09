import t from 'tap';
import { randomUUID } from 'node:crypto';
import { actorOf } from '../../../src/domain/auth/users.ts';
import { logService } from '../../../src/domain/hours/log.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { signedInAs, visibleText, type TestApp } from '../../helpers/web.ts';
import { createHoursApp, scalar } from './helpers.ts';

/** Enough pending records of the demo volunteer to pass one page of the queue. */
function fillQueue(testApp: TestApp, wanted: number): void {
  const context = { db: testApp.db, now: testApp.clock.now };
  const volunteer = actorOf(testApp.db, scalar(testApp, "SELECT id FROM users WHERE phone = '13800000001'"));
  const elderId = scalar(testApp, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  let made = 0;
  for (let day = 1; day <= 25 && made < wanted; day += 1) {
    const date = `2026-11-${String(day).padStart(2, '0')}`;
    for (let hour = 0; hour < 8 && made < wanted; hour += 1) {
      const start = `${String(hour).padStart(2, '0')}:00`;
      const end = `${String(hour).padStart(2, '0')}:45`;
      const outcome = logService(context, volunteer, { idempotencyKey: randomUUID(), serviceTypeCode: 'visit', elderId, date, startTime: start, endTime: end });
      if (outcome.ok) made += 1;
    }
  }
}

t.test('beyond 100: the true total, a next page, filters kept; "approve all shown" works without JavaScript', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  fillQueue(testApp, 110);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const pending = scalar(testApp, "SELECT count(*) FROM service_records s JOIN regions r ON r.code = s.village_code WHERE s.status = 'pending' AND r.path LIKE '/430000/433100/433123/433123101/%'");
  t.ok(pending > 100);
  const first = await coordinator.get('/hours/queue');
  const text = visibleText(first.body);
  t.match(text, `共 ${pending} 条待审核，最早的在前；这里显示第 1–100 条。`);
  t.match(first.body, /href="\/hours\/queue\?page=2"/);
  const second = await coordinator.get('/hours/queue?page=2');
  t.match(visibleText(second.body), `这里显示第 101–${pending} 条`);
  t.match(second.body, /href="\/hours\/queue\?page=1"/);
  const filtered = await coordinator.get('/hours/queue?village=433123101001');
  t.match(filtered.body, 'href="/hours/queue?village=433123101001&amp;page=2"', 'the pager keeps the filter in its links');

  // The second form on the page holds every decidable record shown, as hidden fields.
  const allShown = /<form method="post" action="\/hours\/queue\/approve" class="stack no-print">([\s\S]*?)<\/form>/.exec(second.body)?.[1] ?? '';
  const ids = [...allShown.matchAll(/name="record" value="(\d+)"/g)].map((m) => m[1]!);
  t.ok(ids.length > 0 && ids.length <= pending - 100);
  t.match(visibleText(second.body), `通过这里显示的全部 ${ids.length} 条`);
  const payload = new URLSearchParams([['_csrf', coordinator.csrfToken], ['return_to', '/hours/queue?page=2'], ...ids.map((id) => ['record', id])]).toString();
  const approved = await coordinator.request({ method: 'POST', url: '/hours/queue/approve', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });
  t.equal(approved.statusCode, 303);
  t.match(approved.headers.location as string, new RegExp(`approved=${ids.length}`));
  t.equal(scalar(testApp, `SELECT count(*) FROM service_records WHERE status = 'approved' AND id IN (${ids.join(',')})`), ids.length);
  t.ok(verifyLedger(testApp.db.$client).ok);
});
