import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import t from 'tap';
import type { Db } from '../../src/db/client.ts';
import { headerText, rosterColumns, type RosterKind } from '../../src/domain/people/import/columns.ts';
import { visibleText } from '../helpers/web.ts';
import { askers, encodeForm, expected, fillUrl, matrix, matrixApp, send, signInAll, sidesOf, type Asker, type Form, type MatrixRow, type Side } from './access-matrix.ts';

/**
 * Fuzzing every form endpoint (issue 8). Every POST route of the server (the
 * same route list and rows as the authorization matrix) gets arbitrary forms:
 * Chinese, emoji, control characters, very long text, numbers, script
 * payloads, fields missing or repeated; sent by a role the matrix says may
 * use it, with a valid CSRF token. For every answer:
 *   - never a 5xx;
 *   - a refusal (4xx) is an HTML page or fragment with a readable message
 *     (an alert or field error with words in it, no stack trace, no raw key);
 *   - a refusal writes nothing: row counts of every table and the ledger head
 *     are the same before and after (see `unwatchedTables` for the exceptions);
 *   - user input is escaped: no script payload comes back as markup.
 * Each request runs in a savepoint that is rolled back, so a form that happens
 * to be valid does not change what the next one meets.
 */
const runsPerRoute = Number(process.env.FUZZ_RUNS ?? 8);
/**
 * The suite is the same on every run (a random seed made CI fail on whatever
 * input it happened to draw): a fixed seed by default. To explore, run
 * `FUZZ_SEED=random FUZZ_RUNS=200 npx tap test/routes/fuzz.test.ts`; a failure
 * prints its seed, and `FUZZ_SEED=<seed>` replays it.
 */
const fuzzSeed = process.env.FUZZ_SEED === 'random' ? undefined : Number(process.env.FUZZ_SEED ?? 20261206);

const { app, db, routes, fixtures } = await matrixApp();
t.teardown(() => app.close());
const sessions = await signInAll(app);

/**
 * Tables a refused request may write, and why:
 *   audit_log          refusals that matter are audited on purpose (a wrong PIN, an out-of-scope attempt)
 *   refresh_tokens     session bookkeeping of the signed-in user, not the request's data
 *   sign_in_throttle   a wrong password (sign-in, current password) is counted on purpose, before the hash
 *   sqlite_sequence    SQLite's own autoincrement counters
 *   report_*           aggregates derived from the ledger and registry, refreshed by the
 *                      reports area's own timer (and before a report is read), not by the request
 */
const unwatchedTables = new Set(['audit_log', 'refresh_tokens', 'sign_in_throttle', 'sqlite_sequence']);
const watchedTables = (db.$client.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[])
  .map((row) => row.name)
  .filter((name) => !unwatchedTables.has(name) && !name.startsWith('report_'));

function fingerprint(database: Db): Record<string, number | string> {
  const counts: Record<string, number | string> = {};
  for (const table of watchedTables) counts[table] = (database.$client.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
  const head = database.$client.prepare(`SELECT seq, hash FROM ledger_transfers ORDER BY seq DESC LIMIT 1`).get() as { seq: number; hash: string } | undefined;
  counts['ledger head'] = head ? `${head.seq}:${head.hash}` : 'empty';
  return counts;
}

// ---- which fields each form reads, from the route sources ----

const routeSources = (readdirSync('src/routes', { recursive: true }) as string[])
  .filter((name) => name.endsWith('.ts'))
  .map((name) => ({ name, folder: dirname(name), source: readFileSync(join('src/routes', name), 'utf8') }));
const routeFiles = routeSources.map((file) => file.source);

function fieldNames(source: string): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(/\b(?:field|fieldList|many)\(\s*(?:request\.body|body|source)\s*,\s*'([A-Za-z0-9_]+)'/g)) names.add(match[1]!);
  // Fields a route declares in its TypeBox schema (`name: Form.text(40)`, src/lib/form-schema.ts), several to a line too.
  for (const match of source.matchAll(/\b([a-z][a-z0-9_]*): Form\./g)) names.add(match[1]!);
  // The boxes of an amount of time (`...amountFields('price', 'price_hours')`, src/routes/redemption/sites/shared.ts).
  for (const match of source.matchAll(/\bamountFields\('([a-z_]+)'(?:, '([a-z_]+)')?\)/g)) {
    names.add(`${match[1]}_hours`).add(`${match[1]}_minutes`);
    if (match[2]) names.add(match[2]);
  }
  if (source.includes('readIdempotencyKey(')) names.add('idempotency_key');
  if (source.includes('qty_')) for (const id of [fixtures.item.home, fixtures.item.away]) names.add(`qty_${id}`);
  return [...names];
}

const allFieldNames = [...new Set(routeFiles.flatMap(fieldNames))];

/** Query parameters any page reads (`query.q`, `field(request.query, 'site')`, `request.query as { month?: string }`). */
const queryNames = [...new Set(routeFiles.flatMap((source) => [
  ...[...source.matchAll(/\bquery\??\.([a-z][a-z_]*)\b/g)].map((match) => match[1]!),
  ...[...source.matchAll(/field\(request\.query, '([a-z_]+)'\)/g)].map((match) => match[1]!),
  ...[...source.matchAll(/request\.query as \{([^}]*)\}/g)].flatMap((match) => [...match[1]!.matchAll(/([a-z_]+)\?:/g)].map((name) => name[1]!)),
]))].filter((name) => !['trim', 'slice', 'length'].includes(name));

/** The fields of the route's own file (found by its URL literal) and of the schemas.ts/shared.ts beside it, or every field name any form reads. */
function fieldsFor(url: string): string[] {
  const literal = url.split('${')[0]!;
  const own = routeSources.filter(({ source }) => source.includes(`'${url}'`) || source.includes(`\`${literal}`));
  const folders = new Set(own.map((file) => file.folder));
  const beside = routeSources.filter((file) => folders.has(file.folder) && /(^|\/)(schemas|shared)\.ts$/.test(file.name));
  const files = [...new Set([...own, ...beside])].map((file) => file.source);
  const names = [...new Set(files.flatMap(fieldNames))];
  return names.length > 0 ? names : allFieldNames;
}

// ---- values ----

const payloads = [
  '<script>window.__pwned=1</script>',
  '"><img src=x onerror=window.__pwned=1>',
  "'><svg onload=window.__pwned=1>",
  '" autofocus onfocus="window.__pwned=1',
  '</textarea><script>window.__pwned=1</script>',
  '<a href="javascript:window.__pwned=1">点我</a>',
];
/** What must never come back unescaped: the markup and attribute breakouts of the payloads. */
const dangerous = ['<script>window.__pwned', '<img src=x onerror', '<svg onload', '" autofocus onfocus="', '<a href="javascript:'];

const chinese = [...'山江镇老家寨村王秀英龙德福吴小梅田建国刘志强张明银龄时光服务探访助浴理发大米鸡蛋'];
const odd = ['😀', '👵🏽', '🧧', '\u0000', '\u0007', '\u001b', '\u200b', '\u202e', '\ufeff', '\r', '\n', '\t', '\\', '%', '&', '<', '>', '"', "'", '=', '/', ' '];
const knownIds = Object.values(fixtures).flatMap((pair) => [pair.home, pair.away]);

const text: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom(...chinese), maxLength: 30 }),
  fc.string({ unit: fc.constantFrom(...odd, ...chinese), maxLength: 30 }),
  fc.constantFrom(...payloads),
  fc.tuple(fc.constantFrom(...chinese), fc.constantFrom(...payloads)).map(([word, payload]) => `${word}${payload}`),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom('', ' ', '0', '-1', '1.5', '0.01', '99999', '1e309', 'NaN', 'Infinity', '9007199254740993', '0x1F', '2026-11-23', '2026-02-30', '08:00', '25:61',
    '13800000001', '433123101001', '430524', '258036', 'approve', 'reject', 'suspend', 'reactivate', 'wallet', 'voucher', 'pool', 'gift', 'donation', 'members', 'elders', 'in', 'out', '1', 'yes'),
  fc.constantFrom(...knownIds),
  fc.tuple(fc.integer({ min: 1000, max: 9000 }), fc.constantFrom('长', 'a', '<', '😀', '&')).map(([length, unit]) => unit.repeat(length)),
);

function formFor(url: string, names: string[] = fieldsFor(url)): fc.Arbitrary<Form> {
  const value: fc.Arbitrary<string | string[]> = fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: fc.array(text, { minLength: 2, maxLength: 3 }) });
  return fc.tuple(
    fc.subarray(names),
    fc.array(value, { minLength: names.length, maxLength: names.length }),
    fc.option(fc.uuid(), { freq: 2 }),
    fc.option(fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), value), { freq: 4 }),
  ).map(([chosen, values, key, stray]) => {
    const form: Record<string, string | string[]> = {};
    chosen.forEach((name, index) => {
      form[name] = values[index]!;
    });
    if (key !== null && names.includes('idempotency_key')) form.idempotency_key = key;
    if (stray !== null && stray[0] !== '_csrf') form[stray[0]] = stray[1];
    return form;
  });
}

// ---- checks on one answer ----

const alertPattern = /<(\w+)[^>]*(?:role="alert"|class="[^"]*\b(?:error-summary|field-error)\b[^"]*")[^>]*>([\s\S]*?)<\/\1>/;

function problemsWith(response: Awaited<ReturnType<typeof app.inject>>, before: Record<string, number | string>, after: Record<string, number | string>, safe = false): string[] {
  const problems: string[] = [];
  const status = response.statusCode;
  if (status >= 500) problems.push(`answered ${status}`);
  if (safe) {
    // A GET writes nothing, whatever it is asked.
    const changed = Object.keys(before).filter((table) => before[table] !== after[table]).map((table) => `${table} ${before[table]} -> ${after[table]}`);
    if (changed.length > 0) problems.push(`a GET wrote: ${changed.join(', ')}`);
  }
  if (status >= 400) {
    if (!String(response.headers['content-type'] ?? '').startsWith('text/html')) problems.push(`a refusal that is not HTML (${response.headers['content-type']})`);
    const alert = alertPattern.exec(response.body);
    const message = alert ? visibleText(alert[2]!) : '';
    if (message.length < 2) problems.push(`a ${status} refusal without a readable message`);
    if (/\b[a-z]+\.(?:error|errors|form)\.[A-Za-z_]+\b/.test(message)) problems.push(`a message key instead of words: ${message}`);
    if (/\n\s+at .+:\d+:\d+|node_modules|\.ts:\d+/.test(response.body)) problems.push('a stack trace in the page');
    const changed = Object.keys(before).filter((table) => before[table] !== after[table]).map((table) => `${table} ${before[table]} -> ${after[table]}`);
    if (changed.length > 0) problems.push(`a ${status} refusal wrote: ${changed.join(', ')}`);
  }
  const html = String(response.headers['content-type'] ?? '').startsWith('text/html');
  if (html) for (const marker of dangerous) if (response.body.includes(marker)) problems.push(`unescaped input in the page: ${marker}`);
  return problems;
}

// ---- the endpoints ----

const forms = matrix.filter((row) => row.method === 'POST');

t.test('every POST route of the server is fuzzed', async (t) => {
  const fuzzed = new Set(forms.map((row) => `POST ${row.url}`));
  t.same(routes.filter((route) => route.startsWith('POST ') && !fuzzed.has(route)), [], 'POST routes without a matrix row (add the row: the fuzzer uses it)');
  t.ok(forms.length > 30, `${forms.length} form endpoints`);
});

function allowedWays(row: MatrixRow): { asker: Asker; side: Side }[] {
  return askers.flatMap((asker) => sidesOf(row).filter((side) => expected(row, asker, side) === 'allow').map((side) => ({ asker, side })));
}

let address = 0;
for (const row of forms) {
  const ways = allowedWays(row);
  t.test(`POST ${row.url}`, { skip: ways.length === 0 ? 'no role may use it' : false }, async (t) => {
    let requests = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ways), formFor(row.url), fc.boolean(), async (way, form, partial) => {
        const before = fingerprint(db);
        let after = before;
        address += 1;
        const response = await send(app, db, sessions[way.asker], 'POST', fillUrl(row, fixtures, way.side), form, {
          // A fresh address per request: the per-address rate limits (sign-in, join) are not what is tested here.
          inject: { remoteAddress: `10.${(address >> 16) & 255}.${(address >> 8) & 255}.${address & 255}`, headers: partial ? { 'hx-request': 'true', 'hx-request-type': 'partial' } : {} },
          beforeRollback: () => {
            after = fingerprint(db);
          },
        });
        requests += 1;
        const problems = problemsWith(response, before, after);
        if (problems.length > 0) throw new Error(`${way.asker} ${response.statusCode}: ${problems.join('; ')}`);
      }),
      { numRuns: runsPerRoute, endOnFailure: true, seed: fuzzSeed },
    );
    t.ok(requests >= runsPerRoute, `${requests} forms sent`);
  });
}

// ---- roster uploads: arbitrary files, names and cells ----

type RosterFile = { bytes: Uint8Array; fileName: string } | { kind: RosterKind; rows: string[][]; fileName: string };

async function rosterBytes(file: RosterFile): Promise<Buffer> {
  if ('bytes' in file) return Buffer.from(file.bytes);
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('成员');
  sheet.addRow(rosterColumns[file.kind].map(headerText));
  for (const row of file.rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

function multipart(boundary: string, fields: Record<string, string>, file: Buffer, fileName: string): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n`), file, Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}

t.test('POST /import with arbitrary roster files', async (t) => {
  const zipHead = [0x50, 0x4b, 0x03, 0x04];
  const fileName = fc.oneof(fc.constant('名册.xlsx'), text.map((name) => `${name}.xlsx`));
  const cell = fc.oneof(text, fc.constantFrom('433123101001', '430524101001', '13912340000', 'living_alone', '30', '本人', '是'));
  const file: fc.Arbitrary<RosterFile> = fc.oneof(
    fc.record({ bytes: fc.uint8Array({ maxLength: 2000 }), fileName }),
    fc.record({ bytes: fc.uint8Array({ maxLength: 600 }).map((bytes) => Uint8Array.from([...zipHead, ...bytes])), fileName }),
    fc.record({ kind: fc.constantFrom<RosterKind>('members', 'elders'), rows: fc.array(fc.array(cell, { minLength: 1, maxLength: 11 }), { maxLength: 4 }), fileName }),
  );
  const session = sessions.coordinator;
  let requests = 0;
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('members', 'elders', '', '老人'), file, async (kind, roster) => {
      const boundary = `----fuzz${requests}`;
      const before = fingerprint(db);
      let after = before;
      const problems: string[] = [];
      db.$client.exec('SAVEPOINT fuzz_upload');
      try {
        const response = await app.inject({
          method: 'POST', url: '/import', remoteAddress: '10.200.0.1',
          headers: { cookie: session.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
          payload: multipart(boundary, { _csrf: session.csrfToken, kind }, await rosterBytes(roster), roster.fileName),
        });
        after = fingerprint(db);
        problems.push(...problemsWith(response, before, after));
        // An accepted file: its batch page (file name, row errors) must be safe too.
        const location = String(response.headers.location ?? '');
        if (response.statusCode === 303 && location.startsWith('/import/')) {
          accepted += 1;
          const page = await app.inject({ method: 'GET', url: location, headers: { cookie: session.cookie } });
          problems.push(...problemsWith(page, after, after).map((problem) => `batch page: ${problem}`));
        }
      } finally {
        db.$client.exec('ROLLBACK TO fuzz_upload');
        db.$client.exec('RELEASE fuzz_upload');
      }
      requests += 1;
      if (problems.length > 0) throw new Error(`upload (${kind}, ${'bytes' in roster ? `${roster.bytes.length} bytes` : `${roster.rows.length} rows`}): ${problems.join('; ')}`);
    }),
    {
      numRuns: runsPerRoute * 2,
      endOnFailure: true,
      seed: fuzzSeed,
      // A roster that is accepted with a script in a name and in the file name: the batch page shows both.
      examples: [['members', { kind: 'members', rows: [[payloads[0]!, '433123196104020951', '13912340000', '433123101001']], fileName: `${payloads[1]}.xlsx` }]],
    },
  );
  t.ok(requests >= runsPerRoute * 2, `${requests} files uploaded`);
  t.ok(accepted > 0, `${accepted} accepted, their batch pages checked`);
});

// ---- every page, with arbitrary query strings ----

t.test('cases the fuzzer found stay fixed', async (t) => {
  const cases: [string, string][] = [
    ['coordinator', '/teams?sponsor=a&sponsor=b'], // a repeated parameter was an array where a string was expected: 500
    ['coordinator', `/members/cards?ids=${fixtures.member.home}&ids=${fixtures.member.home}`],
    ['coordinator', '/sign-in?next=/a&next=/b'],
    ['office', '/hours/queue?skipped=1.x&skipped=2.y'],
    ['coordinator', '/elders?page=1e309'], // Infinity as a page: an offset SQLite refused, 500
    ['coordinator', '/members?page=1e309'],
    ['coordinator', '/elders?category=unknown'], // a 422 without a message
  ];
  for (const [asker, url] of cases) {
    const response = await send(app, db, sessions[asker as Asker], 'GET', url);
    t.ok(response.statusCode < 500, `${url}: ${response.statusCode}`);
    if (response.statusCode >= 400) t.ok(alertPattern.test(response.body), `${url}: the refusal says why`);
  }
});

const pages = matrix.filter((row) => row.method === 'GET');
const runsPerPage = Math.max(2, Math.ceil(runsPerRoute / 2));

for (const row of pages) {
  const ways = allowedWays(row);
  t.test(`GET ${row.url} with arbitrary query strings`, { skip: ways.length === 0 ? 'no role may see it' : false }, async (t) => {
    let requests = 0;
    const names = [...new Set([...(row.url.startsWith('/assets/') ? [] : fieldsFor(row.url)), ...queryNames])];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ways), formFor(row.url, names), fc.boolean(), async (way, query, partial) => {
        const before = fingerprint(db);
        let after = before;
        const base = fillUrl(row, fixtures, way.side);
        const url = `${base}${base.includes('?') ? '&' : '?'}${encodeForm(query)}`;
        const response = await send(app, db, sessions[way.asker], 'GET', url, {}, {
          inject: { headers: partial ? { 'hx-request': 'true', 'hx-request-type': 'partial' } : {} },
          beforeRollback: () => {
            after = fingerprint(db);
          },
        });
        requests += 1;
        const problems = problemsWith(response, before, after, true);
        if (problems.length > 0) throw new Error(`${way.asker} GET ${url.slice(0, 300)} ${response.statusCode}: ${problems.join('; ')}`);
      }),
      { numRuns: runsPerPage, endOnFailure: true, seed: fuzzSeed },
    );
    t.ok(requests >= runsPerPage, `${requests} query strings sent`);
  });
}
