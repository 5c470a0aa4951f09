/**
 * Member search at province scale (issue 16: < 20 ms at 1M members, by name, pinyin and phone).
 *
 *   npm run bench:search -- [--members 100000,1000000] [--data DIR] [--repeats 51]
 *
 * For each size it builds a members-only network (the demo's regions and sign-ins, then generated members
 * in bulk inserts of 20,000 per transaction; the members' search keys are written by the production
 * triggers of member_search_terms as each row goes in), or reuses DIR/<size>/ when --data names one that
 * is already built. Names are drawn from 60 surnames and about 2,350 given names (one or two characters),
 * so a full name has about 7 namesakes at 1M and a surname 16,000; their pinyin comes from the app's own
 * `namePinyin`. Then, as the province's admin through app.inject, it times GET /members?q=… for each kind
 * of search and prints the median, p99 and median CPU of each, and per kind the ratio of the largest size
 * to the smallest (the baseline, measured in the same run).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/app.ts';
import { databasePath, openDatabase, type Sqlite } from '../../src/db/client.ts';
import { seedDemo } from '../../src/domain/demo/seed.ts';
import { namePinyin } from '../../src/lib/pinyin.ts';
import { generateSecrets } from '../../src/lib/secrets.ts';
import { signedInAs } from '../helpers/web.ts';

const nowMs = Date.UTC(2026, 10, 23, 2, 0, 0);

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
}

const surnames = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石龙向'];
const givenCharacters = [...'秀英桂兰建国德福小梅志强玉珍金花明红春华军平海燕丽芳文杰永刚凤霞云慧敏静淑珍荣光辉翠莲银生'];
/** 60 surnames × every given-name character alone and every ordered pair of two (about 141,000 names). */
function nameOf(index: number): string {
  const surname = surnames[index % surnames.length]!;
  const given = Math.floor(index / surnames.length) % (givenCharacters.length * (givenCharacters.length + 1));
  const first = givenCharacters[given % givenCharacters.length]!;
  const second = given < givenCharacters.length ? '' : givenCharacters[Math.floor(given / givenCharacters.length) - 1]!;
  return `${surname}${first}${second}`;
}

/** Adds members up to `count` (so a kept network can be grown), through the production insert triggers. */
function buildMembers(sqlite: Sqlite, count: number): void {
  const have = sqlite.prepare("SELECT count(*) FROM members WHERE source = 'import'").pluck().get() as number;
  const villages = sqlite.prepare("SELECT code FROM regions WHERE level = 'village' ORDER BY code").pluck().all() as string[];
  const insert = sqlite.prepare(`INSERT INTO members (real_name, name_pinyin, name_initials, phone, phone_last4, id_number_ciphertext, id_number_hmac,
    birth_date, gender, village_code, status, source, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, '1960-01-01', ?, ?, 'active', 'import', ?, ?)`);
  const readings = new Map<string, ReturnType<typeof namePinyin>>();
  sqlite.pragma('synchronous = OFF');
  sqlite.pragma('cache_size = -262144');
  const started = performance.now();
  for (let from = have; from < count; from += 20_000) {
    sqlite.transaction(() => {
      for (let i = from; i < Math.min(count, from + 20_000); i += 1) {
        const name = nameOf(i);
        let reading = readings.get(name);
        if (!reading) readings.set(name, (reading = namePinyin(name)));
        const phone = `199${String(i).padStart(8, '0')}`;
        insert.run(name, reading.full, reading.initials, phone, phone.slice(-4), `synthetic:${i}`, `synthetic:${i}`, i % 2 ? 'male' : 'female', villages[i % villages.length]!, nowMs, nowMs);
      }
    })();
    if ((from / 20_000) % 10 === 9) console.log(`  ${from + 20_000} members, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  sqlite.pragma('synchronous = FULL');
  if (count > have) {
    const cpu = process.resourceUsage();
    console.log(`  built ${count - have} members in ${((performance.now() - started) / 1000).toFixed(1)} s (process CPU so far ${((cpu.userCPUTime + cpu.systemCPUTime) / 1e6).toFixed(1)} s)`);
  }
}

async function network(size: number, dataRoot: string | null): Promise<{ path: string; cleanup: () => void }> {
  const directory = dataRoot ? join(dataRoot, String(size)) : mkdtempSync(join(tmpdir(), `silver-search-${size}-`));
  mkdirSync(directory, { recursive: true });
  const path = databasePath(directory);
  const fresh = !existsSync(path);
  const db = openDatabase(path);
  if (fresh) await seedDemo(db, nowMs - 400 * 86_400_000);
  buildMembers(db.$client, size);
  const keys = db.$client.prepare('SELECT count(*) FROM member_search_terms').pluck().get() as number;
  console.log(`members ${size}: ${db.$client.prepare('SELECT count(*) FROM members').pluck().get()} members, ${keys} search keys`);
  db.$client.close();
  return { path, cleanup: dataRoot ? () => {} : () => rmSync(directory, { recursive: true, force: true }) };
}

interface Timing { median: number; p99: number; cpuMedian: number }
const percentile = (values: number[], fraction: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(fraction * values.length) - 1)]!;

/** The searches: a full name with a few dozen namesakes, a common surname, its pinyin, initials, and a phone (last 4 and whole). */
const searches: [string, string][] = [
  ['name', nameOf(54_321)], ['surname', '王'], ['pinyin', namePinyin(nameOf(54_321)).full.split(' ')[0]!], ['pinyin_piece', 'xiuy'],
  ['initials', namePinyin(nameOf(54_321)).initials.split(' ')[0]!], ['phone_last4', '4321'], ['phone', '19900054321'],
];

async function measure(size: number, dataRoot: string | null, repeats: number): Promise<Map<string, Timing>> {
  const { path, cleanup } = await network(size, dataRoot);
  const results = new Map<string, Timing>();
  try {
    const db = openDatabase(path);
    const app = await buildApp({ db, secrets: generateSecrets(), clock: () => nowMs });
    const admin = await signedInAs(app, 'admin');
    for (const [kind, query] of searches) {
      const url = `/members?q=${encodeURIComponent(query)}`;
      for (let i = 0; i < 3; i++) await admin.get(url);
      const wall: number[] = [];
      const cpu: number[] = [];
      let shown = '';
      for (let i = 0; i < repeats; i++) {
        const cpuBefore = process.cpuUsage();
        const start = performance.now();
        const response = await admin.get(url);
        wall.push(performance.now() - start);
        const used = process.cpuUsage(cpuBefore);
        cpu.push((used.user + used.system) / 1000);
        if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}`);
        shown = /共 [\d,]+ 人|超过 [\d,]+ 人/.exec(response.body)?.[0] ?? "";
      }
      const timing = { median: percentile(wall, 0.5), p99: percentile(wall, 0.99), cpuMedian: percentile(cpu, 0.5) };
      results.set(kind, timing);
      console.log(`members ${size}: search_${kind}_ms median ${timing.median.toFixed(2)} p99 ${timing.p99.toFixed(2)} CPU median ${timing.cpuMedian.toFixed(2)} (q=${query}; ${shown || 'page shown'})`);
    }
    await app.close();
    db.$client.close();
  } finally {
    cleanup();
  }
  return results;
}

const sizes = argument('members', '100000,1000000').split(',').map(Number);
const dataRoot = process.argv.includes('--data') ? argument('data', '') || null : null;
const repeats = Number(argument('repeats', '51'));
console.log(`member search benchmark: sizes ${sizes.join(', ')}, ${repeats} requests per search, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
const bySize: Map<string, Timing>[] = [];
for (const size of sizes) bySize.push(await measure(size, dataRoot, repeats));
if (bySize.length > 1) {
  for (const [kind] of searches) {
    const first = bySize[0]!.get(kind)!;
    const last = bySize.at(-1)!.get(kind)!;
    console.log(`ratio search_${kind}_${sizes.at(-1)}_vs_${sizes[0]} ${(last.median / first.median).toFixed(2)} (CPU ${(last.cpuMedian / first.cpuMedian).toFixed(2)})`);
  }
}
console.log(`load average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
