import { readFileSync } from 'node:fs';
import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { requestNetworkFigures, seedRequestNetwork } from './requests-network.ts';

const expected = JSON.parse(readFileSync(new URL('./expected-request-figures.json', import.meta.url), 'utf8'));

t.test('the demo network with completed requests: report figures are the ones recorded when reports read service_requests', async (t) => {
  const db = openDatabase(':memory:');
  const { clock, completed } = await seedRequestNetwork(db);
  const sqlite = db.$client;
  const records = sqlite.prepare(`SELECT request_id AS requestId, status, source, service_type_code AS type, duration_minutes AS minutes, credit_minutes AS credit,
      service_date AS date, elder_id IS NOT NULL AS hasElder FROM service_records WHERE request_id IS NOT NULL ORDER BY request_id`).all();
  t.same(records, [
    { requestId: completed[0], status: 'completed', source: 'request', type: 'cleaning', minutes: 60, credit: 60, date: '2026-11-23', hasElder: 1 },
    { requestId: completed[1], status: 'completed', source: 'request', type: 'companionship', minutes: 50, credit: 50, date: '2026-11-23', hasElder: 0 },
    { requestId: completed[2], status: 'completed', source: 'request', type: 'meal_delivery', minutes: 45, credit: 45, date: '2026-12-01', hasElder: 1 },
  ], 'one record per completed request (not the cancelled or the accepted one), dated the Shanghai day of confirmation');
  t.equal(sqlite.prepare("SELECT count(*) FROM ledger_transfers WHERE code = 'service_credit' AND ref_type = 'service_request'").pluck().get(), 0, 'no credit was issued for them');
  const figures = requestNetworkFigures(sqlite, clock.ms);
  t.same(figures.months, expected.months, 'month figures and service categories of every region and month');
  t.same(figures.serviceFigures, expected.serviceFigures, 'every service figure and credits issued, by region, month and category');
  t.same(figures.memberMonths, expected.memberMonths, "the volunteers' monthly rows (service, credited minutes, records)");
  t.same(figures.elderMonths, expected.elderMonths, "the elders' monthly rows");
  t.same(figures.visits, expected.visits, 'the last visit of every elder');
  t.equal((figures.months['433123 2026-12'] as { serviceMinutes: number }).serviceMinutes, 45, 'the request confirmed after midnight Shanghai counts in December');
});
