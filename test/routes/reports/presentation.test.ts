import t from 'tap';
import { trendLine } from '../../../src/domain/reports/charts.ts';
import { signedInAs } from '../../helpers/web.ts';
import { createReportsApp } from './helpers.ts';
import { duplicateLandmarks } from '../../helpers/landmarks.ts';

/** How report pages and exports present their figures (issue 14 item 16). */
const reportPaths = [
  '/reports/430500',
  '/reports/430524?month=2026-10',
  '/reports/430524/monthly?month=2026-10',
  '/reports/430524/visits',
  '/reports/430524/teams',
  '/reports/430524/roster',
  '/reports/430524/ledger?month=2026-10',
  '/hours/standard',
];

t.test('no two landmarks of a report page share a name (axe landmark-unique), in both modes', async (t) => {
  const { app } = await createReportsApp(t);
  const office = await signedInAs(app, 'office-city');
  for (const elder of [false, true]) {
    for (const path of reportPaths) {
      const response = await office.get(path, elder ? { cookie: `${office.cookieHeader()}; sh_elder=1` } : {});
      t.equal(response.statusCode, 200, `${path}: shown`);
      t.same(duplicateLandmarks(response.body), [], `${path} (${elder ? 'elder' : 'normal'}): landmark names are unique`);
    }
  }
  const transparency = await app.inject({ url: '/transparency' });
  t.same(duplicateLandmarks(transparency.body), [], '/transparency: landmark names are unique');
});

t.test('the 12-month trend labels every month with its value, the peak included', async (t) => {
  const points = [3, 9, 4, 12, 5, 7, 2, 8, 6, 11, 1, 10].map((value, index) => ({ label: `2026-${String(index + 1).padStart(2, '0')}`, value, display: `${value}.5` }));
  const svg = trendLine('chart', '趋势', '说明', points);
  const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((match) => match[1]);
  for (const point of points) t.ok(labels.includes(point.display), `${point.label}: value ${point.display} is labelled`);
  t.match(svg, /font-weight="bold">12\.5</, 'the peak stands out');
});

t.test('exports: each figure has its own unit (人/次/小时), and CSV files have Chinese names like the xlsx', async (t) => {
  const { app } = await createReportsApp(t);
  const office = await signedInAs(app, 'office-city');
  const csv = await office.get('/reports/430524/monthly.csv?month=2026-10');
  t.equal(csv.statusCode, 200);
  const lines = csv.body.replace(/^\uFEFF/, '').split('\r\n');
  const unitOf = (figure: string) => lines.find((line) => line.startsWith(`${figure},`))?.split(',')[1];
  t.equal(unitOf('注册志愿者'), '人');
  t.equal(unitOf('服务次数'), '次');
  t.equal(unitOf('服务时长（小时）'), '小时');
  t.equal(unitOf('建档特殊困难老年人'), '人');
  t.equal(unitOf('月探访率（%）'), '%');
  t.notMatch(csv.body, '人/次/个', 'no unit that fits every figure and none');
  t.ok(lines.some((line) => line.startsWith('区域,') && line.includes('本月活跃志愿者（人）') && line.includes('建档特殊困难老年人（人）')), 'sub-region counts name their unit');
  t.ok(lines.some((line) => line.includes('服务次数（次）,服务时长（小时）')), 'service categories name their units');

  const disposition = (response: { headers: Record<string, unknown> }) => decodeURIComponent(/filename\*=UTF-8''([^;]+)/.exec(String(response.headers['content-disposition']))?.[1] ?? '');
  t.equal(disposition(csv), '隆回县-2026-10-月报.csv');
  const xlsx = await office.get('/reports/430524/monthly.xlsx?month=2026-10');
  t.equal(disposition(xlsx), '隆回县-2026-10-月报.xlsx', 'the same name as the Excel file');
  const roster = await office.get('/reports/430524/roster.csv?from=2026-08&to=2026-10');
  t.equal(roster.statusCode, 200);
  t.equal(disposition(roster), '隆回县-2026-08至2026-10-志愿者名册.csv');
  t.match(String(roster.headers['content-disposition']), /filename="430524-2026-08-2026-10-roster\.csv"/, 'an ASCII fallback for old clients');
});
