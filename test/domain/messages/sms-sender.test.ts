import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { seedHours } from '../../../src/domain/demo/hours.ts';
import { seedDemo } from '../../../src/domain/demo/seed.ts';
import { writeTransaction } from '../../../src/domain/kernel/transaction.ts';
import { notify } from '../../../src/domain/messages/notify.ts';
import { inQuietHours, quietHoursEnd } from '../../../src/domain/messages/quiet-hours.ts';
import { claimDueSms, sendDueSms } from '../../../src/domain/messages/sms-sender.ts';
import { httpTransport, logTransport, type SmsTransport } from '../../../src/domain/messages/transports.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';
import { TestClock } from '../../helpers/clock.ts';
import { startFakeGateway, type GatewayAction } from '../../helpers/fake-sms-gateway.ts';

const key = 'test-gateway-key';
/** Members of the hours seed with a phone: 石秀兰, 吴国庆, 罗小梅, 王秀英. */
const membersWithPhones = [1, 3, 4, 5];

async function network(startMs: number) {
  const db = openDatabase(':memory:');
  const clock = new TestClock(startMs);
  await seedDemo(db, clock.now());
  seedHours(db, testSecrets(), clock.now());
  db.$client.exec('DELETE FROM sms_outbox; DELETE FROM messages;');
  for (const memberId of membersWithPhones) db.$client.prepare("INSERT INTO member_message_choices (member_id, channel, changed_at_ms) VALUES (?, 'sms', 0)").run(memberId);
  const context = { db, now: clock.now };
  const tell = (memberId: number, amountMinutes: number) =>
    writeTransaction(db, () => notify(context, { kind: 'credits_gift', to: { memberId }, params: { giverName: '亲人', amountMinutes } }));
  const outbox = () => db.$client.prepare('SELECT id, status, attempts, gateway_id AS gatewayId FROM sms_outbox ORDER BY id').all() as { id: number; status: string; attempts: number; gatewayId: string | null }[];
  return { db, clock, context, tell, outbox };
}

/** 10:00 in Shanghai on a Monday. */
const morning = Date.UTC(2026, 10, 23, 2, 0, 0);

t.test('a gateway that fails some requests (500) and times out others: every SMS is delivered exactly once, each row ends sent', async (t) => {
  const { clock, context, tell, outbox } = await network(morning);
  for (let round = 1; round <= 5; round += 1) for (const memberId of membersWithPhones) tell(memberId, round * 10);
  t.equal(outbox().length, 20);
  const plan = (n: number): GatewayAction => (n % 3 === 1 ? 'fail' : n % 4 === 2 ? 'timeout' : 'ok');
  const gateway = await startFakeGateway(key, plan);
  t.teardown(() => gateway.close());
  // Long enough that an answered request never times out on a loaded machine; the planned timeouts still do.
  const http = httpTransport({ url: gateway.url, key, timeoutMs: 2_000 });
  // Counts sends of one row in flight at once in this process (the gateway cannot tell a retry from an abandoned request).
  const inFlight = new Set<number>();
  let overlaps = 0;
  const transport: SmsTransport = {
    kind: 'http',
    async send(sms) {
      if (inFlight.has(sms.id)) overlaps += 1;
      inFlight.add(sms.id);
      try {
        return await http.send(sms);
      } finally {
        inFlight.delete(sms.id);
      }
    },
  };
  let sent = 0;
  for (let pass = 0; pass < 20 && outbox().some((row) => row.status !== 'sent'); pass += 1) {
    // Two senders at once (two server processes, or a slow pass overlapping the next): claims never overlap.
    const counts = await Promise.all([sendDueSms(context, transport, 7), sendDueSms(context, transport, 7)]);
    sent += counts[0] + counts[1];
    clock.advance(10 * 60_000);
  }
  const rows = outbox();
  t.same(rows.map((row) => row.status), rows.map(() => 'sent'), 'every row sent');
  t.equal(gateway.delivered.size, 20, 'twenty SMS delivered');
  t.same([...gateway.delivered.keys()].sort(), rows.map((row) => String(row.id)).sort(), 'one delivery per outbox id');
  t.ok(gateway.answered.fail > 0 && gateway.answered.timeout > 0, `the gateway failed ${gateway.answered.fail} and timed out ${gateway.answered.timeout} requests`);
  t.equal(overlaps, 0, 'never two sends of one row at once');
  t.equal(sent, 20, 'each row counted sent once');
  t.same(rows.map((row) => row.attempts), rows.map((row) => gateway.requestsById.get(String(row.id))), 'each attempt is one request');
  t.same(rows.map((row) => row.gatewayId), rows.map((row) => `gw-${row.id}`), 'the gateway\'s id kept');
  t.match(gateway.delivered.get(String(rows[0]?.id))?.text ?? '', /^【银龄时光】亲人赠送您10 分/);
});

t.test('quiet hours: an SMS written at 22:30 waits until 08:00 Shanghai time; a retry that would fall in them waits too', async (t) => {
  const evening = Date.UTC(2026, 10, 23, 14, 30, 0); // 22:30 in Shanghai
  const { clock, context, tell, outbox, db } = await network(evening);
  const gateway = await startFakeGateway(key);
  t.teardown(() => gateway.close());
  const transport = httpTransport({ url: gateway.url, key, timeoutMs: 2_000 });
  tell(5, 30);
  const eight = Date.UTC(2026, 10, 24, 0, 0, 0);
  t.equal(db.$client.prepare('SELECT next_attempt_at_ms FROM sms_outbox').pluck().get(), eight, 'held until 08:00');
  t.equal(await sendDueSms(context, transport), 0);
  clock.nowMs = eight - 60_000;
  t.equal(await sendDueSms(context, transport), 0, 'not at 07:59 either');
  t.equal(gateway.requests, 0, 'nothing reached the gateway in quiet hours');
  clock.nowMs = eight;
  t.equal(await sendDueSms(context, transport), 1, 'sent at 08:00');
  t.equal(outbox()[0]?.status, 'sent');
  t.ok(inQuietHours(Date.UTC(2026, 10, 23, 13, 0, 0)), '21:00 is quiet');
  t.notOk(inQuietHours(Date.UTC(2026, 10, 23, 12, 59, 59)), '20:59:59 is not');
  t.equal(quietHoursEnd(Date.UTC(2026, 10, 23, 18, 0, 0)), eight, '02:00 waits until 08:00 the same morning');
  t.equal(quietHoursEnd(Date.UTC(2026, 10, 23, 4, 0, 0)), Date.UTC(2026, 10, 23, 4, 0, 0), 'noon is not held');

  const failing = await startFakeGateway(key, () => 'fail');
  t.teardown(() => failing.close());
  clock.nowMs = Date.UTC(2026, 10, 24, 12, 59, 50); // 20:59:50
  tell(5, 40);
  t.equal(await sendDueSms(context, httpTransport({ url: failing.url, key })), 0);
  const retry = outbox()[1];
  t.equal(retry?.status, 'pending');
  t.equal(db.$client.prepare('SELECT next_attempt_at_ms FROM sms_outbox WHERE id = ?').pluck().get(retry?.id), Date.UTC(2026, 10, 25, 0, 0, 0), 'the retry waits for 08:00');
});

t.test('a sender that died holding a claim: after the lease the row is sent again with the same id, and delivered once', async (t) => {
  const { clock, context, tell, outbox } = await network(morning);
  tell(1, 20);
  const gateway = await startFakeGateway(key);
  t.teardown(() => gateway.close());
  t.equal(claimDueSms(context, 10).length, 1, 'claimed, then the process died');
  t.equal(await sendDueSms(context, httpTransport({ url: gateway.url, key })), 0, 'a claimed row is not claimed again');
  clock.advance(3 * 60_000);
  t.equal(await sendDueSms(context, httpTransport({ url: gateway.url, key })), 1);
  t.equal(outbox()[0]?.status, 'sent');
  t.equal(gateway.delivered.size, 1);
});

t.test('the log transport logs the outbox id, the masked phone and the length, never the text; a member without a phone is not queued', async (t) => {
  const { context, tell, outbox, db } = await network(morning);
  const lines: Record<string, unknown>[] = [];
  const transport = logTransport({ info: (object) => lines.push(object) });
  tell(5, 30);
  t.equal(await sendDueSms(context, transport), 1);
  t.equal(outbox()[0]?.status, 'sent');
  t.same(lines, [{ smsId: outbox()[0]?.id, phone: '138****0001', characters: 23, segments: 1 }]);
  t.equal(db.$client.prepare('SELECT text FROM sms_outbox').pluck().get(), '【银龄时光】亲人赠送您30 分钟，已存入存折。', 'what would be sent is in the outbox row');
  t.notMatch(JSON.stringify(lines), '赠送', 'no text in the log');
  t.notMatch(JSON.stringify(lines), '13800000001', 'no phone in the log');
  db.$client.prepare("INSERT INTO member_message_choices (member_id, channel, changed_at_ms) VALUES (2, 'sms', 0)").run();
  tell(2, 30);
  t.equal(outbox().length, 1, 'no outbox row for a member without a phone');
  t.equal(db.$client.prepare('SELECT count(*) FROM messages WHERE recipient_member_id = 2').pluck().get(), 1, 'the inbox message is there');
});
