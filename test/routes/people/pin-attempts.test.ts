import t from 'tap';
import { randomUUID } from 'node:crypto';
import { demoRedemptionPin } from '../../../src/domain/demo/redemption.ts';
import { accountIds, accountInputs, countyAccounts, ensureAccounts, ledgerFor } from '../../../src/domain/bookkeeping/accounts.ts';
import { setMemberPin } from '../../../src/domain/people/members/pin.ts';
import { generateSecrets } from '../../../src/lib/secrets.ts';
import { HttpSession } from '../../helpers/server-process.ts';
import { createTestApp, demoPhone, visibleText } from '../../helpers/web.ts';
import { listeningNetwork, placeBasket, type Network } from './counter-network.ts';

/**
 * PIN attempt limits under concurrency, through a real listening server: twelve
 * wrong PINs sent at the same moment are answered "wrong" at most four times (the
 * fifth evaluated guess locks), the rest "locked", and the right PIN is refused
 * until the lock has run out. Wrong guesses on the hours form (the 'remote'
 * channel) lock only that channel, never the elder's PIN at the counter.
 */

const guesses = 12;
const limit = 5;
const lockMs = 30 * 60_000;

/** Distinct wrong six-digit PINs (none equal to the demo PIN or the test PIN). */
const wrongPins = Array.from({ length: guesses }, (_, index) => `90${String(index).padStart(4, '0')}`);


function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

t.test(`${guesses} parallel wrong PINs at the counter: at most ${limit} evaluated, then the right PIN waits for the lock to end`, async (t) => {
  const network = await listeningNetwork(t, generateSecrets());
  const member = network.row("SELECT id, card_number AS card FROM members WHERE real_name = '罗春兰' ORDER BY id LIMIT 1");
  const clerk = await HttpSession.signIn(network.base, demoPhone('clerk'));
  const basket = await placeBasket(network, clerk, String(member.card));
  const startMs = network.clock.now();

  const answers = await Promise.all(wrongPins.map(async (pin) => {
    const response = await clerk.fetch(`${basket}/confirm`, { form: { pin } });
    return { status: response.status, text: visibleText(await response.text()) };
  }));
  const counts = tally(answers.map((answer) => answer.status));
  t.same(counts, { 422: limit - 1, 423: guesses - (limit - 1) }, 'four "wrong, N left" answers, every other one "locked"');
  t.same(answers.filter((answer) => answer.status === 422).map((answer) => /还可以再试 (\d) 次/.exec(answer.text)?.[1]).sort(), ['1', '2', '3', '4']);
  t.ok(answers.filter((answer) => answer.status === 423).every((answer) => answer.text.includes('密码错误次数太多，已锁定，请 30 分钟后再试')));
  const state = network.row('SELECT pin_failed_attempts AS attempts, pin_locked_until_ms AS lockedUntil, pin_remote_failed_attempts AS remote FROM members WHERE id = ?', member.id);
  t.same(state, { attempts: limit, lockedUntil: startMs + lockMs, remote: 0 }, 'the database counted five attempts and holds the lock');
  t.equal(network.row("SELECT count(*) AS n FROM audit_log WHERE action = 'member.pin_locked' AND object_id = ?", String(member.id)).n, 1, 'one lock, audited once');

  const refused = await clerk.fetch(`${basket}/confirm`, { form: { pin: demoRedemptionPin } });
  t.equal(refused.status, 423, 'the right PIN is refused while the lock lasts');
  t.equal(network.row('SELECT status FROM redemptions WHERE id = ?', Number(/baskets\/(\d+)/.exec(basket)![1])).status, 'held', 'the basket was not confirmed');

  network.clock.advance(lockMs - 60_000);
  const later = await placeBasket(network, clerk, String(member.card));
  t.equal((await clerk.fetch(`${later}/confirm`, { form: { pin: demoRedemptionPin } })).status, 423, 'a minute before the lock ends: still refused');
  t.same(network.row('SELECT pin_failed_attempts AS attempts, pin_locked_until_ms AS lockedUntil FROM members WHERE id = ?', member.id), { attempts: limit, lockedUntil: startMs + lockMs }, 'a refusal changes neither count nor lock');

  network.clock.advance(60_000);
  const confirmed = await clerk.fetch(`${later}/confirm`, { form: { pin: demoRedemptionPin } });
  t.equal(confirmed.status, 303, 'the lock has run out: the right PIN confirms');
  t.equal(network.row('SELECT status FROM redemptions WHERE id = ?', Number(/baskets\/(\d+)/.exec(later)![1])).status, 'confirmed');
  t.same(network.row('SELECT pin_failed_attempts AS attempts FROM members WHERE id = ?', member.id), { attempts: 0 }, 'a right PIN resets the count');
});

t.test(`after a lock has run out, ${guesses} parallel wrong PINs lock again: the expired lock is cleared with its count`, async (t) => {
  const network = await listeningNetwork(t, generateSecrets());
  const member = network.row("SELECT id, card_number AS card FROM members WHERE real_name = '罗春兰' ORDER BY id LIMIT 1");
  const clerk = await HttpSession.signIn(network.base, demoPhone('clerk'));
  const first = await placeBasket(network, clerk, String(member.card));
  const firstStatuses = await Promise.all(wrongPins.map(async (pin) => (await clerk.fetch(`${first}/confirm`, { form: { pin } })).status));
  t.same(tally(firstStatuses), { 422: limit - 1, 423: guesses - (limit - 1) }, 'the first round locks');

  network.clock.advance(lockMs);
  const againMs = network.clock.now();
  const second = await placeBasket(network, clerk, String(member.card));
  const answers = await Promise.all(wrongPins.map(async (pin) => {
    const response = await clerk.fetch(`${second}/confirm`, { form: { pin } });
    return { status: response.status, text: visibleText(await response.text()) };
  }));
  t.same(tally(answers.map((answer) => answer.status)), { 422: limit - 1, 423: guesses - (limit - 1) }, 'the second round is counted from one and locks at five again');
  t.same(answers.filter((answer) => answer.status === 422).map((answer) => /还可以再试 (\d) 次/.exec(answer.text)?.[1]).sort(), ['1', '2', '3', '4']);
  t.same(
    network.row('SELECT pin_failed_attempts AS attempts, pin_locked_until_ms AS lockedUntil FROM members WHERE id = ?', member.id),
    { attempts: limit, lockedUntil: againMs + lockMs },
    'the database holds the new lock',
  );
  t.equal((await clerk.fetch(`${second}/confirm`, { form: { pin: demoRedemptionPin } })).status, 423, 'the right PIN waits for the new lock');
  t.equal(network.row('SELECT status FROM redemptions WHERE id = ?', Number(/baskets\/(\d+)/.exec(second)?.[1])).status, 'held', 'nothing was paid');
});

t.test(`${guesses} parallel wrong elder PINs on the hours form lock only the remote channel; the elder still pays at the counter`, async (t) => {
  const network = await listeningNetwork(t, generateSecrets());
  const elder = network.row("SELECT id, member_id AS memberId FROM elders WHERE real_name = '龙玉兰'");
  const memberId = Number(elder.memberId);
  const pin = '285714';
  const admin = Number(network.row("SELECT user_id AS id FROM user_roles WHERE role = 'admin' LIMIT 1").id);
  const set = await setMemberPin({ db: network.db, keys: network.secrets, now: network.clock.now }, { userId: admin, memberId, grants: [] }, memberId, pin, { currentPin: demoRedemptionPin });
  t.ok(set.ok);
  const volunteer = await HttpSession.signIn(network.base, demoPhone('volunteer'));
  await volunteer.page('/hours/new');
  const visit = (elderPin: string) => ({
    idempotency_key: randomUUID(), service_type: 'visit', elder_id: String(elder.id), date: '2026-11-22', start_time: '05:00', end_time: '06:00',
    village_code: '433123101001', elder_pin: elderPin,
  });
  const recordsBefore = network.row('SELECT count(*) AS n FROM service_records').n;
  const startMs = network.clock.now();

  const statuses = await Promise.all(wrongPins.map(async (wrong) => (await volunteer.fetch('/hours', { form: visit(wrong) })).status));
  t.same(tally(statuses), { 422: limit - 1, 423: guesses - (limit - 1) });
  t.same(
    network.row('SELECT pin_remote_failed_attempts AS remote, pin_remote_locked_until_ms AS remoteLock, pin_failed_attempts AS holder, pin_locked_until_ms AS holderLock FROM members WHERE id = ?', memberId),
    { remote: limit, remoteLock: startMs + lockMs, holder: 0, holderLock: null },
    'the remote channel is locked; the holder\'s own channel is untouched',
  );
  const refused = await volunteer.fetch('/hours', { form: visit(pin) });
  t.equal(refused.status, 423, 'the right PIN on the hours form waits for the lock');
  t.match(visibleText(await refused.text()), '已锁定');
  t.equal(network.row('SELECT count(*) AS n FROM service_records').n, recordsBefore, 'no record written');

  // Two hours earned earlier, so the elder has something to spend at the counter.
  const ledger = ledgerFor(network.db.$client, network.clock.now);
  ensureAccounts(ledger, [...countyAccounts('433123'), accountInputs.wallet(memberId)]);
  t.same(ledger.createTransfers([{ id: 'test:earned', debitAccountId: accountIds.issuance('433123'), creditAccountId: accountIds.wallet(memberId), amount: 120, code: 'service_credit' }]), ['ok']);
  const card = String(network.row('SELECT card_number AS card FROM members WHERE id = ?', memberId).card);
  const clerk = await HttpSession.signIn(network.base, demoPhone('clerk'));
  const basket = await placeBasket(network, clerk, card);
  t.equal((await clerk.fetch(`${basket}/confirm`, { form: { pin } })).status, 303, 'the elder pays at the counter with her PIN at once');

  network.clock.advance(lockMs);
  const confirmed = await volunteer.fetch('/hours', { form: visit(pin) });
  t.equal(confirmed.status, 303, 'after the lock the elder confirms on the volunteer\'s phone');
  t.match(confirmed.headers.get('location')!, /logged=approved$/);
  t.equal(network.row('SELECT pin_remote_failed_attempts AS n FROM members WHERE id = ?', memberId).n, 0);
});

t.test(`${guesses} parallel wrong current passwords on the change-password form: at most ${limit} evaluated`, async (t) => {
  const network = await listeningNetwork(t, generateSecrets());
  const volunteer = await HttpSession.signIn(network.base, demoPhone('volunteer'));
  await volunteer.page('/account/password');
  const userId = Number(network.row("SELECT id FROM users WHERE phone = ?", demoPhone('volunteer')).id);
  const change = (current: string) => ({ current_password: current, new_password: 'qingshan-lushui-7', confirm_password: 'qingshan-lushui-7' });
  const answers = await Promise.all(wrongPins.map(async (wrong) => {
    const response = await volunteer.fetch('/account/password', { form: change(`wrong-${wrong}`) });
    return { status: response.status, text: visibleText(await response.text()) };
  }));
  t.same(tally(answers.map((answer) => answer.status)), { 422: limit, 429: guesses - limit });
  t.ok(answers.filter((answer) => answer.status === 429).every((answer) => answer.text.includes('现在的密码输错次数太多，请 15 分钟后再试')));
  t.equal(network.row("SELECT sum(failures) AS n FROM sign_in_throttle WHERE address <> '*'").n, limit, 'five checks reserved, through the sign-in throttle (the pair row; the account row counts them too)');
  const refused = await volunteer.fetch('/account/password', { form: change('yinling2026') });
  t.equal(refused.status, 429, 'the right password waits for the window too');
  const hashBefore = network.row('SELECT password_hash AS hash FROM users WHERE id = ?', userId).hash;
  network.clock.advance(15 * 60_000 + 1000);
  await volunteer.page('/account/password');
  const changed = await volunteer.fetch('/account/password', { form: change('yinling2026') });
  t.equal(changed.status, 303, 'after the window the right password changes it');
  t.not(network.row('SELECT password_hash AS hash FROM users WHERE id = ?', userId).hash, hashBefore);
});

t.test(`${guesses} parallel gifts with wrong PINs: at most ${limit} evaluated, nothing given`, async (t) => {
  const network = await listeningNetwork(t, generateSecrets());
  const giver = network.row("SELECT id FROM members WHERE real_name = '王秀英' ORDER BY id LIMIT 1");
  const receiver = network.row("SELECT card_number AS card FROM members WHERE real_name = '刘德顺' ORDER BY id LIMIT 1");
  const volunteer = await HttpSession.signIn(network.base, demoPhone('volunteer'));
  await volunteer.page('/gifts');
  const giftsBefore = network.row('SELECT count(*) AS n FROM member_gifts').n;
  const statuses = await Promise.all(wrongPins.map(async (wrong) => (await volunteer.fetch('/gifts', { form: { kind: 'gift', to: String(receiver.card), amount: '1', pin: wrong, idempotency_key: randomUUID() } })).status));
  t.same(tally(statuses), { 422: limit - 1, 423: guesses - (limit - 1) });
  t.equal(network.row('SELECT count(*) AS n FROM member_gifts').n, giftsBefore, 'nothing given');
  t.same(network.row('SELECT pin_failed_attempts AS attempts, pin_locked_until_ms AS lockedUntil FROM members WHERE id = ?', giver.id), { attempts: limit, lockedUntil: network.clock.now() + lockMs });
  const right = await volunteer.fetch('/gifts', { form: { kind: 'gift', to: String(receiver.card), amount: '1', pin: demoRedemptionPin, idempotency_key: randomUUID() } });
  t.equal(right.status, 423, 'the right PIN waits for the lock');
  t.equal(network.row('SELECT count(*) AS n FROM member_gifts').n, giftsBefore);
});
