import t from 'tap';
import { randomUUID } from 'node:crypto';
import { actorOf } from '../../../src/domain/auth/users.ts';
import { logService } from '../../../src/domain/hours/log.ts';
import { expireUnreviewed, rejectRecord } from '../../../src/domain/hours/review.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { signedInAs, visibleText, type TestApp } from '../../helpers/web.ts';
import { createHoursApp, scalar } from './helpers.ts';
import { queryPlan, statementsDuring } from '../../helpers/query-plans.ts';
import { gatherAndSortLimit } from '../../../src/domain/hours/queue.ts';

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
  t.match(text, `共 ${pending} 条待审核，这里显示第 1–100 条。`);
  t.match(text, '待审核的服务记录，按提交时间升序排列', 'the caption says the order');
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

/** The record ids of the queue's table rows, in the order the page shows them. */
function shownIds(html: string): number[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<a class="button" href="\/hours\/records\/(\d+)">/g)].map((m) => Number(m[1]));
}

interface QueueRow { id: number; pinyin: string; name: string; memberId: number; date: string; startMs: number; typeZh: string; typeCode: string; typeId: number; minutes: number; createdMs: number; village: string }

/** Every pending record in the county office's scope, with what each column sorts by, read straight from the database. */
function pendingRows(testApp: TestApp): QueueRow[] {
  return testApp.db.$client.prepare(`SELECT s.id, m.name_pinyin AS pinyin, m.real_name AS name, m.id AS memberId, s.service_date AS date, s.start_at_ms AS startMs,
      ty.name_zh AS typeZh, s.service_type_code AS typeCode, ty.id AS typeId, s.duration_minutes AS minutes, s.created_at_ms AS createdMs, s.village_code AS village
    FROM service_records s JOIN members m ON m.id = s.volunteer_member_id JOIN service_types ty ON ty.id = s.service_type_id JOIN regions r ON r.code = s.village_code
    WHERE s.status = 'pending' AND r.path LIKE '/430000/433100/433123/%'`).all() as QueueRow[];
}

const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
/** The sort keys of each column, most significant first; the record id breaks ties. */
const keysOf: Record<string, (row: QueueRow) => (string | number)[]> = {
  volunteer: (row) => [row.pinyin, row.name, row.memberId],
  date: (row) => [row.date, row.startMs],
  // Then the type's id (one per version of the standard): the order the index of service_types gives.
  type: (row) => [row.typeZh, row.typeCode, row.typeId],
  minutes: (row) => [row.minutes],
  submitted: (row) => [row.createdMs],
};

function expectedOrder(rows: QueueRow[], sort: string, direction: 'asc' | 'desc'): number[] {
  const sign = direction === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const left = [...keysOf[sort]!(a), a.id];
    const right = [...keysOf[sort]!(b), b.id];
    for (let i = 0; i < left.length; i += 1) {
      const order = compare(left[i]!, right[i]!);
      if (order !== 0) return sign * order;
    }
    return 0;
  }).map((row) => row.id);
}

/** A few more pending visits of the demo volunteer with different dates and durations, so every column has something to order. */
function varyQueue(testApp: TestApp): void {
  const context = { db: testApp.db, now: testApp.clock.now };
  const volunteer = actorOf(testApp.db, scalar(testApp, "SELECT id FROM users WHERE phone = '13800000001'"));
  const elderId = scalar(testApp, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  for (const [date, start, end] of [['2026-11-03', '09:00', '09:20'], ['2026-11-20', '08:00', '10:00'], ['2026-11-10', '14:00', '14:45'], ['2026-11-10', '07:00', '07:45']] as const) {
    const outcome = logService(context, volunteer, { idempotencyKey: randomUUID(), serviceTypeCode: 'visit', elderId, date, startTime: start, endTime: end });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
  }
}

t.test('sortable columns: each order is the database order of that column, ties broken by record id; the header says which', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  varyQueue(testApp);
  const office = await signedInAs(testApp.app, 'office');
  const rows = pendingRows(testApp);
  t.ok(rows.length >= 7, `${rows.length} records waiting`);
  t.ok(new Set(rows.map((row) => row.name)).size >= 3 && new Set(rows.map((row) => row.typeCode)).size >= 2 && new Set(rows.map((row) => row.minutes)).size >= 4, 'columns with different values');
  const columnNames: Record<string, string> = { volunteer: '志愿者', date: '服务日期', type: '服务类型', minutes: '时长', submitted: '提交时间' };
  const orders = new Set<string>();
  for (const sort of Object.keys(keysOf)) {
    for (const direction of ['asc', 'desc'] as const) {
      const response = await office.get(`/hours/queue?sort=${sort}&dir=${direction}`);
      t.equal(response.statusCode, 200);
      const shown = shownIds(response.body);
      t.same(shown, expectedOrder(rows, sort, direction), `${sort} ${direction}: the rows in the database's order of that column`);
      orders.add(shown.join(','));
      const sorted = [...response.body.matchAll(/<th scope="col" aria-sort="(\w+)"><a href="([^"]*)">([^<]*) <span aria-hidden="true">([▲▼])<\/span>/g)];
      t.equal(sorted.length, 1, `${sort} ${direction}: one header carries aria-sort`);
      t.same(sorted[0]?.slice(1), [direction === 'asc' ? 'ascending' : 'descending', `/hours/queue?sort=${sort}&amp;dir=${direction === 'asc' ? 'desc' : 'asc'}`, columnNames[sort], direction === 'asc' ? '▲' : '▼'], 'its link turns the order round; a visible arrow');
      t.match(visibleText(response.body), `按${columnNames[sort]}${direction === 'asc' ? '升序' : '降序'}排列`, 'the caption says the order');
    }
  }
  t.ok(orders.size >= 8, `the ten orders are not all the same (${orders.size} different)`);
  // The default order (no sort asked for) is the oldest submitted first.
  t.same(shownIds((await office.get('/hours/queue')).body), expectedOrder(rows, 'submitted', 'asc'));
});

t.test('an unknown sort or direction falls back to the default order and answers 200 (the value never reaches SQL)', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  varyQueue(testApp);
  const office = await signedInAs(testApp.app, 'office');
  const rows = pendingRows(testApp);
  const before = scalar(testApp, 'SELECT count(*) FROM service_records');
  const fallback = expectedOrder(rows, 'submitted', 'asc');
  for (const query of ['sort=id', 'sort=minutes;DROP%20TABLE%20service_records', "sort=created_at_ms%20desc--", 'sort=__proto__', 'sort=constructor', 'sort=MINUTES', 'sort[]=minutes', 'sort=&dir=desc', 'dir=desc', 'sort=minutes%00']) {
    const response = await office.get(`/hours/queue?${query}`);
    t.equal(response.statusCode, 200, `${query}: 200`);
    t.same(shownIds(response.body), fallback, `${query}: the default order`);
    t.match(response.body, 'aria-sort="ascending"><a href="/hours/queue?sort=submitted&amp;dir=desc">提交时间', `${query}: the default column is marked sorted`);
  }
  // A known column with an unknown direction sorts that column, ascending.
  const sideways = await office.get('/hours/queue?sort=minutes&dir=sideways');
  t.equal(sideways.statusCode, 200);
  t.same(shownIds(sideways.body), expectedOrder(rows, 'minutes', 'asc'));
  // A repeated parameter takes its first value (the app's query parser), never an array.
  const repeated = await office.get('/hours/queue?sort=minutes&sort=date&dir=desc&dir=asc');
  t.equal(repeated.statusCode, 200);
  t.same(shownIds(repeated.body), expectedOrder(rows, 'minutes', 'desc'));
  t.equal(scalar(testApp, 'SELECT count(*) FROM service_records'), before, 'nothing written or dropped');
});

t.test('sorting keeps the filters and starts again at page 1; filters, pager and approve-many keep the sort', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  fillQueue(testApp, 110);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const village = '433123101001';
  const filtered = await coordinator.get(`/hours/queue?village=${village}&type=visit&page=2`);
  t.equal(filtered.statusCode, 200);
  t.match(filtered.body, `href="/hours/queue?village=${village}&amp;type=visit&amp;sort=minutes&amp;dir=asc"`, 'a header link keeps the filters and drops the page');
  t.notMatch(/<thead>[\s\S]*<\/thead>/.exec(filtered.body)?.[0] ?? '', 'page=', 'no header link keeps the page number');

  const sorted = await coordinator.get(`/hours/queue?village=${village}&type=visit&sort=date&dir=desc`);
  t.equal(sorted.statusCode, 200);
  const shown = shownIds(sorted.body);
  t.equal(shown.length, 100, 'a full first page');
  const facts = shown.map((id) => testApp.db.$client.prepare('SELECT village_code AS village, service_type_code AS type, service_date AS date, start_at_ms AS start FROM service_records WHERE id = ?').get(id) as { village: string; type: string; date: string; start: number });
  t.ok(facts.every((fact) => fact.village === village && fact.type === 'visit'), 'only the filtered records');
  const dates = facts.map((fact) => `${fact.date} ${String(fact.start).padStart(15, '0')}`);
  t.same(dates, [...dates].sort().reverse(), 'latest service first');
  const newest = scalar<string>(testApp, `SELECT max(service_date) FROM service_records s WHERE s.status = 'pending' AND s.village_code = ? AND s.service_type_code = 'visit'`, village);
  t.equal(facts[0]!.date, newest, 'the page starts with the newest service date in the database');
  t.match(sorted.body, `href="/hours/queue?village=${village}&amp;type=visit&amp;sort=date&amp;dir=desc&amp;page=2"`, 'the pager keeps the sort');
  t.match(sorted.body, '<input type="hidden" name="sort" value="date"><input type="hidden" name="dir" value="desc">', 'the filter form keeps the sort');
  t.match(sorted.body, `name="return_to" value="/hours/queue?village=${village}&amp;type=visit&amp;sort=date&amp;dir=desc"`, 'approve-many comes back to the sorted list');
  const second = await coordinator.get(`/hours/queue?village=${village}&type=visit&sort=date&dir=desc&page=2`);
  const rest = shownIds(second.body);
  t.same(rest.filter((id) => shown.includes(id)), [], 'page 2 repeats no record of page 1');

  // The first two rows with a checkbox (the coordinator's own entries have none).
  const picked = [...sorted.body.matchAll(/name="record" value="(\d+)"/g)].map((m) => Number(m[1])).filter((id) => shown.includes(id)).slice(0, 2);
  t.equal(picked.length, 2);
  const payload = new URLSearchParams([['_csrf', coordinator.csrfToken], ['return_to', `/hours/queue?village=${village}&type=visit&sort=date&dir=desc`], ...picked.map((id) => ['record', String(id)])]).toString();
  const approved = await coordinator.request({ method: 'POST', url: '/hours/queue/approve', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });
  t.equal(approved.statusCode, 303);
  t.equal(approved.headers.location, `/hours/queue?village=${village}&type=visit&sort=date&dir=desc&approved=2`);
  const after = await coordinator.get(approved.headers.location as string);
  t.match(visibleText(after.body), '已通过 2 条。');
  t.match(after.body, 'aria-sort="descending"><a href="/hours/queue?village=433123101001&amp;type=visit&amp;sort=date&amp;dir=asc">服务日期', 'still sorted by date after approving');
  t.same(testApp.db.$client.prepare(`SELECT id FROM service_records WHERE status = 'approved' AND id IN (${shown.join(',')}) ORDER BY id`).pluck().all(), [...picked].sort((a, b) => a - b), 'exactly the two ticked');
});

t.test('the queue reads pending records through indexes: a page and the volunteer filter never sort or read every pending row', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  fillQueue(testApp, 110);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const sqlite = testApp.db.$client;
  const { result: page, seen } = await statementsDuring(sqlite, () => coordinator.get('/hours/queue?page=2'));
  t.equal(page.statusCode, 200);
  t.match(visibleText(page.body), '这里显示第 101–', 'the second page is shown');
  const planOf = (source: string | undefined) => source === undefined ? '' : queryPlan(sqlite, source);
  const pageIds = [...seen].find((source) => /^select "id" from "service_records"/.test(source) && source.includes('order by'));
  t.ok(pageIds, 'the page picks its record ids from service_records alone');
  const pagePlan = planOf(pageIds);
  t.match(pagePlan, 'COVERING INDEX service_records_status_created_village', `the page is read from one index: ${pagePlan}`);
  t.notMatch(pagePlan, 'TEMP B-TREE', 'in the index order: no sort of every pending record');
  const pageRows = [...seen].find((source) => source.startsWith('select "service_records"."id", "service_records"."idempotency_key"'));
  t.ok(pageRows, 'the page\'s rows are read with their joins');
  t.notMatch(pageRows ?? '', 'order by', 'by id, with no ORDER BY that could walk a whole index instead');
  const volunteers = [...seen].find((source) => source.includes('select distinct "volunteer_member_id"'));
  t.ok(volunteers, 'the volunteer filter reads distinct volunteers first');
  t.match(planOf(volunteers), 'COVERING INDEX service_records_status_village_volunteer', 'from an index, not from each pending row');
  const kept = [...seen].find((source) => source.includes('from "pending_record_counts"'));
  t.ok(kept, 'the total is summed from the per-village counts the database keeps');
  t.notMatch(kept ?? '', 'service_records', 'without counting the pending records');
  t.match(planOf(kept), /SEARCH pending_record_counts USING (INDEX|PRIMARY KEY)/, `one probe per village in scope: ${planOf(kept)}`);
  t.notMatch(planOf(kept), /SCAN pending_record_counts/, 'not a scan of every village');
  // A filter by type cannot use the kept counts: it counts the records, through an index.
  const { result: byType, seen: seenByType } = await statementsDuring(sqlite, () => coordinator.get('/hours/queue?type=visit'));
  t.equal(byType.statusCode, 200);
  const counted = [...seenByType].find((source) => /^select count\(\*\) from "service_records" where/.test(source));
  t.ok(counted, 'the filtered total counts service_records without joining regions');
  t.notMatch(planOf(counted), /SCAN service_records/, 'and without scanning the table');
});

t.test('the kept pending counts follow every change of service_records: logging, approving, rejecting, expiring', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const sqlite = testApp.db.$client;
  const kept = () => sqlite.prepare('SELECT village_code AS village, records FROM pending_record_counts WHERE records <> 0 ORDER BY village_code').all();
  const counted = () => sqlite.prepare("SELECT village_code AS village, count(*) AS records FROM service_records WHERE status = 'pending' GROUP BY village_code ORDER BY village_code").all();
  t.same(kept(), counted(), 'the migration filled them from the demo records');
  fillQueue(testApp, 30);
  t.same(kept(), counted(), 'after logging');
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const first = await coordinator.get('/hours/queue');
  const pendingShown = scalar(testApp, "SELECT count(*) FROM service_records s JOIN regions r ON r.code = s.village_code WHERE s.status = 'pending' AND r.path LIKE '/430000/433100/433123/433123101/%'");
  t.match(visibleText(first.body), `共 ${pendingShown} 条`, 'the page shows the kept total');
  const ids = sqlite.prepare("SELECT id FROM service_records WHERE status = 'pending' ORDER BY id DESC LIMIT 3").pluck().all() as number[];
  const approved = await coordinator.request({ method: 'POST', url: '/hours/queue/approve', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams([['_csrf', coordinator.csrfToken], ['return_to', '/hours/queue'], ['record', String(ids[0])], ['record', String(ids[1])]]).toString() });
  t.equal(approved.statusCode, 303);
  t.same(kept(), counted(), 'after approving');
  const context = { db: testApp.db, now: testApp.clock.now };
  const reviewer = actorOf(testApp.db, scalar(testApp, "SELECT id FROM users WHERE phone = '13800000002'"));
  t.ok(rejectRecord(context, reviewer, ids[2]!, '时间不对').ok);
  t.same(kept(), counted(), 'after rejecting');
  testApp.clock.advance(400 * 86_400_000);
  t.ok(expireUnreviewed(context).length > 0, 'old records expired');
  t.same(kept(), counted(), 'after expiring');
});

/** `count` pending records in 凤凰县's villages written straight into the table (no ledger holds: the queue reads only service_records), varied in every sortable column. */
function addPendingRecords(testApp: TestApp, count: number): void {
  const sqlite = testApp.db.$client;
  const villages = sqlite.prepare("SELECT code FROM regions WHERE level = 'village' AND code LIKE '433123%' ORDER BY code").pluck().all() as string[];
  const volunteers = sqlite.prepare("SELECT id FROM members WHERE village_code LIKE '433123%' ORDER BY id").pluck().all() as number[];
  const types = sqlite.prepare('SELECT id, code FROM service_types WHERE active = 1 ORDER BY id').all() as { id: number; code: string }[];
  const insert = sqlite.prepare(`INSERT INTO service_records (idempotency_key, volunteer_member_id, service_type_id, service_type_code, village_code, county_code,
    service_date, start_at_ms, end_at_ms, duration_minutes, credit_minutes, source, status, hold_transfer_id, created_at_ms)
    VALUES (?, ?, ?, ?, ?, '433123', ?, ?, ?, ?, ?, 'self', 'pending', ?, ?)`);
  const baseMs = testApp.clock.now() - 20 * 86_400_000;
  sqlite.transaction(() => {
    for (let i = 0; i < count; i += 1) {
      const type = types[(i * 7) % types.length]!;
      const startMs = baseMs + ((i * 7919) % 19) * 86_400_000 + (i % 37) * 60_000;
      const minutes = 15 + ((i * 13) % 120);
      const date = new Date(startMs + 8 * 3_600_000).toISOString().slice(0, 10);
      insert.run(`test-bulk-${i}`, volunteers[(i * 31) % volunteers.length]!, type.id, type.code, villages[i % villages.length]!, date, startMs, startMs + minutes * 60_000,
        minutes, minutes, `test-bulk-hold-${i}`, baseMs + ((i * 104_729) % 1_000_000));
    }
  })();
}

t.test('issue 16: above gatherAndSortLimit pending in scope, every order reads its page in order from an index (no sort), and shows the database\'s order', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  addPendingRecords(testApp, gatherAndSortLimit + 100);
  const office = await signedInAs(testApp.app, 'office');
  const sqlite = testApp.db.$client;
  const rows = pendingRows(testApp);
  t.ok(rows.length > gatherAndSortLimit, `${rows.length} records waiting in the office's scope`);
  const indexOf: Record<string, RegExp> = {
    submitted: /SEARCH service_records USING COVERING INDEX service_records_status_created_village \(status=\?\)/,
    date: /SEARCH service_records USING COVERING INDEX service_records_status_date_village \(status=\?\)/,
    minutes: /SEARCH service_records USING COVERING INDEX service_records_status_minutes_village \(status=\?\)/,
    volunteer: /SCAN pending_volunteers USING COVERING INDEX pending_volunteers_name[\s\S]*SEARCH service_records USING COVERING INDEX service_records_pending_volunteer \(volunteer_member_id=\?\)/,
    type: /SCAN service_types USING COVERING INDEX service_types_name[\s\S]*SEARCH service_records USING COVERING INDEX service_records_pending_type \(service_type_id=\?\)/,
  };
  for (const sort of Object.keys(indexOf)) {
    for (const direction of ['asc', 'desc'] as const) {
      const { result: response, seen } = await statementsDuring(sqlite, () => office.get(`/hours/queue?sort=${sort}&dir=${direction}`));
      t.equal(response.statusCode, 200);
      t.same(shownIds(response.body), expectedOrder(rows, sort, direction).slice(0, 100), `${sort} ${direction}: the first 100 in the database's order`);
      const pageIds = [...seen].find((source) => /^select "service_records"\."id" from|^select "id" from "service_records"/.test(source) && source.includes('order by'));
      t.ok(pageIds, `${sort} ${direction}: the page's ids were read`);
      const plan = queryPlan(sqlite, pageIds ?? '');
      t.match(plan, indexOf[sort]!, `${sort} ${direction}: ${plan}`);
      t.notMatch(plan, 'TEMP B-TREE', `${sort} ${direction}: read in the order of the index, not sorted`);
      t.notMatch(plan, /SCAN service_records/, `${sort} ${direction}: not a walk of every record`);
    }
  }
  // Filtered by a volunteer, the few records are found through that volunteer's index and sorted, not by a walk of every pending date.
  const volunteerId = rows[0]!.memberId;
  const { result: filtered, seen: filteredStatements } = await statementsDuring(sqlite, () => office.get(`/hours/queue?volunteer=${volunteerId}&sort=date&dir=desc`));
  t.same(shownIds(filtered.body), expectedOrder(rows.filter((row) => row.memberId === volunteerId), 'date', 'desc').slice(0, 100), 'the volunteer\'s records, latest service first');
  const filteredPage = [...filteredStatements].find((source) => source.includes('order by') && source.includes('"volunteer_member_id" = ?'));
  const filteredPlan = queryPlan(sqlite, filteredPage ?? '');
  t.match(filteredPlan, /SEARCH service_records USING (COVERING )?INDEX \w+ \([^)]*volunteer_member_id=\?/, `through an index by volunteer: ${filteredPlan}`);
  t.notMatch(filteredPlan, 'service_records_status_date_village', 'not a walk of every pending date');
  // A coordinator's scope (one township) holds fewer: its records are gathered by village and sorted.
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const { result: small, seen: smallStatements } = await statementsDuring(sqlite, () => coordinator.get('/hours/queue?sort=volunteer&dir=asc'));
  t.equal(small.statusCode, 200);
  const smallPage = [...smallStatements].find((source) => source.includes('order by') && source.includes('"members"."name_pinyin"'));
  t.ok(smallPage, 'sorted by the member\'s name, joined');
  t.match(queryPlan(sqlite, smallPage ?? ''), /SEARCH service_records USING (COVERING )?INDEX service_records_(village_status|status_village_volunteer)/, 'through the village index');
});

t.test('issue 16: the kept pending volunteers follow logging, deciding and renaming; the volunteer order uses the new name', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const sqlite = testApp.db.$client;
  const kept = () => sqlite.prepare('SELECT member_id AS member, name_pinyin AS pinyin, real_name AS name, records FROM pending_volunteers ORDER BY member_id').all();
  const counted = () => sqlite.prepare(`SELECT m.id AS member, m.name_pinyin AS pinyin, m.real_name AS name, count(*) AS records FROM service_records s
    JOIN members m ON m.id = s.volunteer_member_id WHERE s.status = 'pending' GROUP BY m.id ORDER BY m.id`).all();
  t.same(kept(), counted(), 'the migration filled it from the demo records');
  fillQueue(testApp, 30);
  varyQueue(testApp);
  t.same(kept(), counted(), 'after logging');
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const ids = sqlite.prepare("SELECT id FROM service_records WHERE status = 'pending' ORDER BY id DESC LIMIT 3").pluck().all() as number[];
  const approved = await coordinator.request({ method: 'POST', url: '/hours/queue/approve', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams([['_csrf', coordinator.csrfToken], ['return_to', '/hours/queue'], ['record', String(ids[0])], ['record', String(ids[1])]]).toString() });
  t.equal(approved.statusCode, 303);
  t.same(kept(), counted(), 'after approving');
  const volunteerId = scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
  sqlite.prepare("UPDATE members SET real_name = '阿秀英', name_pinyin = 'a xiu ying' WHERE id = ?").run(volunteerId);
  t.same(kept(), counted(), 'after a rename');
  const office = await signedInAs(testApp.app, 'office');
  const first = shownIds((await office.get('/hours/queue?sort=volunteer&dir=asc')).body)[0];
  t.equal(scalar(testApp, 'SELECT volunteer_member_id FROM service_records WHERE id = ?', first), volunteerId, 'the renamed volunteer (a…) now comes first');
  const context = { db: testApp.db, now: testApp.clock.now };
  testApp.clock.advance(400 * 86_400_000);
  t.ok(expireUnreviewed(context).length > 0, 'old records expired');
  t.same(kept(), counted(), 'after expiring');
  t.equal(scalar(testApp, 'SELECT count(*) FROM pending_volunteers WHERE records <= 0'), 0, 'a volunteer with nothing pending leaves the table');
});
