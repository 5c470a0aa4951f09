import Database from 'better-sqlite3';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { makeIdNumber } from '../../src/lib/idcard.ts';
import { testCryptoProfile, testProfileEnvironment } from '../helpers/crypto-profile.ts';
import { HttpSession, runToExit, startServerProcess, type Exit } from '../helpers/server-process.ts';

// Real processes on a real data directory, as an operator runs them.

const laojiazhai = '433123101001';

/** Runs the server or a CLI command to its exit, with the demo seeded and the test crypto profile unless `env` says otherwise. */
function runWithDemo(script: 'server' | 'cli', dataDirectory: string, args: string[] = [], env: Record<string, string> = {}): Promise<Exit> {
  return runToExit(script, dataDirectory, args, { env: { SEED_DEMO: '1', ...testProfileEnvironment(), ...env } });
}

function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

interface Snapshot {
  members: unknown[];
  settings: unknown[];
}

function snapshot(dataDirectory: string): Snapshot {
  const sqlite = new Database(join(dataDirectory, 'silver-hours.db'), { readonly: true });
  try {
    return {
      members: sqlite.prepare('SELECT id, id_number_ciphertext, id_number_hmac, card_token_ciphertext FROM members ORDER BY id').all(),
      settings: sqlite.prepare("SELECT key, value FROM settings WHERE key LIKE 'crypto.%' ORDER BY key").all(),
    };
  } finally {
    sqlite.close();
  }
}

/** Registers a member as the demo coordinator; returns the member page's path. */
async function register(coordinator: HttpSession, name: string, phone: string, idNumber: string): Promise<Response> {
  await coordinator.page('/members/new');
  return coordinator.fetch('/members', { form: { idempotency_key: randomUUID(), real_name: name, phone, id_number: idNumber, village_code: laojiazhai } });
}

const idNumber = makeIdNumber('433123', '1959-08-08', 17);
const masked = `${idNumber.slice(0, 6)}********${idNumber.slice(-4)}`;

/** Starts a server on an existing directory, checks the registered member's page and the duplicate check, stops it. */
async function checkMemberPagesAndDuplicate(t: Test, dataDirectory: string, memberPath: string, env: Record<string, string> = {}): Promise<void> {
  const server = await startServerProcess(dataDirectory, { SEED_DEMO: '1', ...env });
  try {
    const coordinator = await HttpSession.signIn(server.url, '13800000002');
    const page = await coordinator.fetch(memberPath);
    t.equal(page.status, 200, 'the member page answers');
    t.match(await page.text(), masked, 'with the masked ID number decrypted');
    const card = await coordinator.fetch(`${memberPath}/card`);
    t.equal(card.status, 200, 'the member card (its token decrypted) answers');
    const duplicate = await register(coordinator, '龙二妹', '13799998888', idNumber);
    t.equal(duplicate.status, 409, 'the same ID number is refused as a duplicate');
    t.match(await duplicate.text(), '该身份证号已登记');
  } finally {
    await server.stop();
  }
}

t.test('a missing or wrong secrets.json stops the server and the CLI instead of new keys', { timeout: 300_000 }, async (t) => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-keys-'));
  t.teardown(() => rmSync(dataDirectory, { recursive: true, force: true }));
  const secretsFile = join(dataDirectory, 'secrets.json');
  const databaseFile = join(dataDirectory, 'silver-hours.db');

  const server = await startServerProcess(dataDirectory, { SEED_DEMO: '1' });
  const coordinator = await HttpSession.signIn(server.url, '13800000002');
  const created = await register(coordinator, '龙阿妹', '13712345678', idNumber);
  t.equal(created.status, 303, 'a member is registered');
  const memberPath = created.headers.get('location')!.replace(/\?.*$/, '');
  t.equal(await server.stop(), 0);
  const originalSecrets = readFileSync(secretsFile, 'utf8');
  const before = snapshot(dataDirectory);
  t.same(before.settings.map((row) => (row as { key: string }).key), ['crypto.key_fingerprint', 'crypto.profile'], 'the first start recorded the profile and a fingerprint');
  t.notMatch(JSON.stringify(before.settings), JSON.parse(originalSecrets).dataEncryptionKey, 'the fingerprint is not the key');
  const databaseBefore = fileSha256(databaseFile);

  rmSync(secretsFile);
  const refused = await runWithDemo('server', dataDirectory);
  t.not(refused.code, 0, 'the server exits non-zero');
  t.match(refused.stderr, `密钥文件 ${secretsFile} 不存在`, 'it says, in Chinese first, which file is missing');
  t.match(refused.stderr, `restore ${secretsFile} from your backup (or set SILVER_HOURS_TOKEN_KEY and SILVER_HOURS_DATA_KEY)`);
  t.notMatch(refused.stderr, /\n\s+at /, 'no stack trace');
  t.equal(refused.stderr.trim().split('\n').length, 1, 'one line');
  t.notOk(existsSync(secretsFile), 'no new secrets.json was generated');
  t.equal(fileSha256(databaseFile), databaseBefore, 'the database file is unchanged');
  t.same(snapshot(dataDirectory), before, 'its members and key binding are unchanged');

  const cliRefused = await runWithDemo('cli', dataDirectory, ['seed', 'demo']);
  t.equal(cliRefused.code, 1, 'a CLI command that needs the keys refuses too');
  t.match(cliRefused.stderr, `restore ${secretsFile} from your backup`);
  t.notMatch(cliRefused.stderr, /\n\s+at /, 'no stack trace');
  t.notOk(existsSync(secretsFile));
  const checkRefused = await runWithDemo('cli', dataDirectory, ['keys', 'check']);
  t.equal(checkRefused.code, 1, 'keys check says the keys are missing');
  t.match(checkRefused.stderr, `restore ${secretsFile} from your backup`);

  writeFileSync(secretsFile, JSON.stringify({ tokenSigningKey: randomBytes(48).toString('base64'), dataEncryptionKey: randomBytes(32).toString('base64') }), { mode: 0o600 });
  const wrongFile = await runWithDemo('server', dataDirectory);
  t.not(wrongFile.code, 0, 'other keys in secrets.json are refused');
  t.match(wrongFile.stderr, `The keys in ${secretsFile} are not the ones this database's data is encrypted with`);

  rmSync(secretsFile);
  const wrongVariables = await runWithDemo('server', dataDirectory, [], {
    SILVER_HOURS_TOKEN_KEY: randomBytes(48).toString('base64'), SILVER_HOURS_DATA_KEY: randomBytes(32).toString('base64'),
  });
  t.not(wrongVariables.code, 0, 'other keys in the environment are refused');
  t.match(wrongVariables.stderr, 'The keys in SILVER_HOURS_DATA_KEY are not the ones');

  writeFileSync(secretsFile, originalSecrets, { mode: 0o600 });
  const otherProfile = testCryptoProfile() === 'guomi' ? 'international' : 'guomi';
  const wrongProfile = await runWithDemo('server', dataDirectory, [], { CRYPTO_PROFILE: otherProfile });
  t.not(wrongProfile.code, 0, 'another crypto profile is refused');
  t.match(wrongProfile.stderr, `加密方案不符：该数据库使用 ${testCryptoProfile()} 方案，而 CRYPTO_PROFILE=${otherProfile}`);
  t.equal(fileSha256(databaseFile), databaseBefore, 'after all refusals the database file is unchanged');

  // With the file restored (and CRYPTO_PROFILE unset: the database's own profile), everything works again.
  await checkMemberPagesAndDuplicate(t, dataDirectory, memberPath, { CRYPTO_PROFILE: '' });
});

t.test('a database without keyed data may get new keys', { timeout: 120_000 }, async (t) => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-keys-empty-'));
  t.teardown(() => rmSync(dataDirectory, { recursive: true, force: true }));
  const first = await startServerProcess(dataDirectory, { SEED_DEMO: '0' });
  await first.stop();
  const fingerprintBefore = snapshot(dataDirectory).settings;
  rmSync(join(dataDirectory, 'secrets.json'));
  const second = await startServerProcess(dataDirectory, { SEED_DEMO: '0' });
  await second.stop();
  t.ok(existsSync(join(dataDirectory, 'secrets.json')), 'new keys were generated: nothing was encrypted under the old ones');
  t.not(JSON.stringify(snapshot(dataDirectory).settings), JSON.stringify(fingerprintBefore), 'and the fingerprint follows them');
});

t.test('keys rotate re-encrypts and re-keys in one go; pages and the duplicate check still work', { timeout: 300_000 }, async (t) => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-rotate-'));
  t.teardown(() => rmSync(dataDirectory, { recursive: true, force: true }));
  const secretsFile = join(dataDirectory, 'secrets.json');
  const server = await startServerProcess(dataDirectory, { SEED_DEMO: '1' });
  const coordinator = await HttpSession.signIn(server.url, '13800000002');
  const created = await register(coordinator, '龙阿妹', '13712345678', idNumber);
  t.equal(created.status, 303);
  const memberPath = created.headers.get('location')!.replace(/\?.*$/, '');

  // While the server runs (it holds DATA_DIR/server.lock), rotation is refused and changes nothing.
  const busy = await runWithDemo('cli', dataDirectory, ['keys', 'rotate']);
  t.not(busy.code, 0, 'refused while the server runs');
  t.match(busy.stderr, 'Not rotating the keys: a server or another command is using');
  t.equal(await server.stop(), 0);

  const oldSecrets = readFileSync(secretsFile, 'utf8');
  const signingKeyFile = join(dataDirectory, 'checkpoint-signing-key.json');
  const oldSigningKey = JSON.parse(readFileSync(signingKeyFile, 'utf8')) as { privateKey: string; retiredPublicKeys: string[] };
  const before = snapshot(dataDirectory);
  const otherProfile = testCryptoProfile() === 'guomi' ? 'international' : 'guomi';
  for (const [step, args] of [['same profile', ['keys', 'rotate']], [`to ${otherProfile}`, ['keys', 'rotate', '--profile', otherProfile]]] as const) {
    const ran = await runWithDemo('cli', dataDirectory, [...args], { CRYPTO_PROFILE: '' });
    t.equal(ran.code, 0, `${step}: rotation succeeds (${ran.stderr})`);
    t.match(ran.stdout, /keys rotated .*ID numbers/);
  }
  const after = snapshot(dataDirectory);
  const rowsBefore = before.members as { id: number; id_number_ciphertext: string; id_number_hmac: string; card_token_ciphertext: string | null }[];
  const rowsAfter = after.members as typeof rowsBefore;
  t.equal(rowsAfter.length, rowsBefore.length);
  t.ok(rowsAfter.every((row, index) => row.id_number_ciphertext !== rowsBefore[index]!.id_number_ciphertext && row.id_number_hmac !== rowsBefore[index]!.id_number_hmac),
    'every ID ciphertext and lookup hash changed');
  t.ok(rowsAfter.every((row) => row.id_number_ciphertext.startsWith(otherProfile === 'guomi' ? 'g1.' : 'v1.')), `everything is sealed in the ${otherProfile} format`);
  t.match(JSON.stringify(after.settings), `"value":"${otherProfile}"`, 'the recorded profile follows');
  t.not(readFileSync(secretsFile, 'utf8'), oldSecrets, 'secrets.json holds new keys');
  t.equal(statSync(secretsFile).mode & 0o777, 0o600);
  const backups = readdirSync(dataDirectory).filter((name) => /^secrets\.json\..+\.bak$/.test(name)).sort();
  t.equal(backups.length, 2, 'each rotation kept the keys it replaced');
  t.ok(backups.some((name) => readFileSync(join(dataDirectory, name), 'utf8') === oldSecrets), 'the original keys are in a dated backup');
  t.notOk(existsSync(join(dataDirectory, 'secrets.json.new')), 'no pending file is left');
  // Issue 17: each rotation also made a new checkpoint signing key and kept the old public keys.
  const signingKey = JSON.parse(readFileSync(signingKeyFile, 'utf8')) as { privateKey: string; retiredPublicKeys: string[] };
  t.not(signingKey.privateKey, oldSigningKey.privateKey, 'a new checkpoint signing key');
  t.equal(signingKey.retiredPublicKeys.length, oldSigningKey.retiredPublicKeys.length + 2, 'the replaced public keys are kept');
  t.equal(statSync(signingKeyFile).mode & 0o777, 0o600);
  const check = await runWithDemo('cli', dataDirectory, ['keys', 'check'], { CRYPTO_PROFILE: '' });
  t.equal(check.code, 0, 'keys check passes on the new keys');
  const sqlite = new Database(join(dataDirectory, 'silver-hours.db'), { readonly: true });
  const sealedValues = sqlite.prepare('SELECT (SELECT count(*) FROM members) + (SELECT count(*) FROM elders) + (SELECT count(card_token_ciphertext) FROM members)').pluck().get() as number;
  sqlite.close();
  t.match(check.stdout, `keys ok (${otherProfile}): all ${sealedValues} encrypted values open with these keys`);

  // With CRYPTO_PROFILE unset the server takes the profile the database records.
  await checkMemberPagesAndDuplicate(t, dataDirectory, memberPath, { CRYPTO_PROFILE: '' });
});
