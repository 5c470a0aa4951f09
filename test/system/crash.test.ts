/**
 * Crash safety: the real server as a child process on a file database, mixed
 * writes with idempotency keys from several concurrent clients (log hours,
 * approvals, redemptions with PIN confirmation, gifts), SIGKILL in the middle,
 * a restart, and every request whose answer never came sent again (plus a
 * sample of those that were answered). Then every acknowledged operation
 * exists exactly once, none exists twice, the ledger verifies and hledger
 * agrees with its arithmetic.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { exportHledger, verifyLedger } from '../../src/ledger/index.ts';
import { HttpSession, startServerProcess } from '../helpers/server-process.ts';
import { demoPin, logForm, placeBasket, seedForSystemTests } from './fixtures.ts';

const operationsBeforeKill = Number(process.env.CRASH_OPERATIONS ?? 3000);

type Kind = 'log' | 'approve' | 'basket' | 'confirm' | 'gift';
interface Operation {
  kind: Kind;
  key: string;
  /** Sends the request (again); answers the HTTP status, or undefined when no answer came. */
  send(): Promise<number | undefined>;
  firstStatus?: number;
  resendStatus?: number;
  recordId?: number;
  basketPath?: string;
}

t.test('nothing acknowledged is lost and nothing is duplicated across a SIGKILL', { timeout: 600_000 }, async (t) => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-crash-'));
  t.teardown(() => rmSync(dataDirectory, { recursive: true, force: true }));
  const facts = await seedForSystemTests(dataDirectory);
  t.ok(facts.townshipMembers.length > 3 && facts.redeemerCards.length > 3 && facts.relativeCard, 'the demo network has members, redeemers and a relative');

  let server = await startServerProcess(dataDirectory);
  const sessions = {
    coordinator: await HttpSession.signIn(server.url, '13800000002'),
    office: await HttpSession.signIn(server.url, '13800000004'),
    clerk: await HttpSession.signIn(server.url, '13800000003'),
    volunteer: await HttpSession.signIn(server.url, '13800000001'),
  };
  await sessions.coordinator.page('/hours/new');
  await sessions.office.page('/hours/queue');
  await sessions.clerk.page('/counter/1');
  await sessions.volunteer.page('/gifts');

  const operations: Operation[] = [];
  const approvable: number[] = [];
  let logSlot = 0;
  let killed = false;
  const status = async (request: Promise<Response>): Promise<number | undefined> => {
    try {
      const response = await request;
      await response.arrayBuffer();
      return response.status;
    } catch {
      return undefined; // the connection died with the server: no answer
    }
  };
  const run = async (operation: Operation) => {
    operations.push(operation);
    operation.firstStatus = await operation.send();
    return operation.firstStatus;
  };
  const enough = () => killed || operations.length >= operationsBeforeKill;

  const logger = async () => {
    while (!enough()) {
      const form = logForm(facts, logSlot++);
      const operation: Operation = {
        kind: 'log', key: form.idempotency_key!,
        send: async () => {
          try {
            const response = await sessions.coordinator.fetch('/hours', { form });
            await response.arrayBuffer();
            const id = /\/hours\/records\/(\d+)/.exec(response.headers.get('location') ?? '')?.[1];
            if (id) operation.recordId = Number(id);
            return response.status;
          } catch {
            return undefined;
          }
        },
      };
      if ((await run(operation)) === 303 && operation.recordId) approvable.push(operation.recordId);
    }
  };
  const approver = async () => {
    while (!enough()) {
      const id = approvable.shift();
      if (id === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      await run({ kind: 'approve', key: `approve:${id}`, recordId: id, send: () => status(sessions.office.fetch(`/hours/records/${id}/approve`, { form: {} })) });
    }
  };
  let card = 0;
  const clerk = async () => {
    while (!enough()) {
      const key = randomUUID();
      const cardNumber = facts.redeemerCards[card++ % facts.redeemerCards.length]!;
      const basket: Operation = {
        kind: 'basket', key,
        send: async () => {
          try {
            const placed = await placeBasket(sessions.clerk, facts, cardNumber, key);
            if (placed.path) basket.basketPath = placed.path;
            return placed.status;
          } catch {
            return undefined;
          }
        },
      };
      if ((await run(basket)) !== 303 || !basket.basketPath) continue;
      const path = basket.basketPath;
      await run({ kind: 'confirm', key: `confirm:${key}`, basketPath: path, send: () => status(sessions.clerk.fetch(`${path}/confirm`, { form: { pin: demoPin } })) });
    }
  };
  const gifter = async () => {
    while (!enough()) {
      const form = { kind: 'gift', to: facts.relativeCard!, amount: '0.05', pin: demoPin, idempotency_key: randomUUID() };
      await run({ kind: 'gift', key: form.idempotency_key, send: () => status(sessions.volunteer.fetch('/gifts', { form })) });
    }
  };

  // Several concurrent clients; the server is killed while they are busy.
  const clients = Promise.all([logger(), logger(), approver(), clerk(), clerk(), gifter()]);
  while (operations.length < operationsBeforeKill * 0.8) await new Promise((resolve) => setTimeout(resolve, 25));
  killed = true;
  await server.kill();
  await clients;
  const unanswered = operations.filter((operation) => operation.firstStatus === undefined);
  const kinds = (list: Operation[]) => Object.fromEntries(['log', 'approve', 'basket', 'confirm', 'gift'].map((kind) => [kind, list.filter((o) => o.kind === kind).length]));
  t.ok(operations.length >= operationsBeforeKill * 0.8, `${operations.length} operations sent before the kill: ${JSON.stringify(kinds(operations))}`);
  for (const kind of ['log', 'approve', 'basket', 'confirm', 'gift'] as const) {
    const done = operations.filter((o) => o.kind === kind && o.firstStatus === 303).length;
    t.ok(done > 0, `${kind}: ${done} acknowledged before the kill`);
  }
  const refused = operations.filter((operation) => operation.firstStatus !== undefined && operation.firstStatus >= 500);
  t.equal(refused.length, 0, 'no 5xx answers before the kill');

  // Restart on the same file; the sessions' cookies still hold.
  server = await startServerProcess(dataDirectory);
  for (const session of Object.values(sessions)) session.base = server.url;
  t.teardown(() => server.stop());
  const answered = operations.filter((operation) => operation.firstStatus !== undefined);
  const sample = answered.filter((_, index) => index % 10 === 0);
  for (const operation of [...unanswered, ...sample]) operation.resendStatus = await operation.send();
  t.ok(unanswered.length + sample.length > 0, `resent ${unanswered.length} unanswered and ${sample.length} answered requests`);
  t.equal([...unanswered, ...sample].filter((o) => o.resendStatus === undefined || o.resendStatus >= 500).length, 0, 'every resend got an answer below 500');
  await server.stop();

  // What the database holds.
  const db = openDatabase(databasePath(dataDirectory));
  const sqlite = db.$client;
  const countBy = (table: string) => sqlite.prepare(`SELECT count(*) FROM ${table} WHERE idempotency_key = ?`).pluck();
  const recordCount = countBy('service_records');
  const basketCount = countBy('redemptions');
  const giftCount = countBy('member_gifts');
  const acknowledged = (operation: Operation) => operation.firstStatus === 303 || operation.resendStatus === 303;
  let lost = 0;
  let duplicated = 0;
  for (const operation of operations) {
    const counter = operation.kind === 'log' ? recordCount : operation.kind === 'basket' ? basketCount : operation.kind === 'gift' ? giftCount : undefined;
    if (counter) {
      const count = counter.get(operation.key) as number;
      if (count > 1) duplicated += 1;
      if (acknowledged(operation) && count !== 1) lost += 1;
    } else if (operation.kind === 'approve' && acknowledged(operation)) {
      if (sqlite.prepare('SELECT status FROM service_records WHERE id = ?').pluck().get(operation.recordId) !== 'approved') lost += 1;
    } else if (operation.kind === 'confirm' && acknowledged(operation)) {
      const id = Number(/baskets\/(\d+)/.exec(operation.basketPath ?? '')?.[1]);
      if (sqlite.prepare('SELECT status FROM redemptions WHERE id = ?').pluck().get(id) !== 'confirmed') lost += 1;
    }
  }
  t.equal(lost, 0, 'every acknowledged operation exists');
  t.equal(duplicated, 0, 'no operation exists twice');
  t.equal(sqlite.prepare(`SELECT count(*) FROM service_records r WHERE (SELECT count(*) FROM ledger_transfers l WHERE l.id = r.hold_transfer_id) <> 1`).pluck().get(), 0,
    'every service record has exactly one pending credit in the ledger');
  t.equal(sqlite.prepare(`SELECT count(*) FROM service_records r WHERE r.status = 'approved'
      AND (SELECT count(*) FROM ledger_transfers l WHERE l.pending_id = r.hold_transfer_id AND (l.flags & 4) > 0) <> 1`).pluck().get(), 0,
    'every approved record was posted exactly once');
  const report = verifyLedger(sqlite);
  t.ok(report.ok, `verify(): ${report.ok ? `${report.transfers} transfers` : `${report.problem} at ${report.firstBadSeq}`}`);

  const hledger = spawnSync('hledger', ['--version']);
  if (hledger.status === 0) {
    const file = join(dataDirectory, 'ledger.journal');
    const out = createWriteStream(file);
    await exportHledger(sqlite, out);
    out.end();
    await finished(out);
    const check = spawnSync('hledger', ['-f', file, 'check'], { encoding: 'utf8' });
    t.equal(check.status, 0, `hledger check passes ${check.stderr}`);
  } else {
    t.comment('hledger is not installed: the independent check is skipped (CI installs it)');
  }
  sqlite.close();
});
