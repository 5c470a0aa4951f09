import t from 'tap';
import { openDatabase } from '../../../../src/db/client.ts';
import { seedDemoNetwork } from '../../../../src/domain/demo/network.ts';
import type { Actor } from '../../../../src/domain/people/members/context.ts';
import { exportMemberData } from '../../../../src/domain/people/members/export.ts';
import { testSecrets } from '../../../helpers/crypto-profile.ts';
import { actorWithRoles } from '../../../helpers/actor.ts';
import { seedRequestNetwork } from '../../reports/requests-network.ts';

t.test("the PIPL copy holds the member's account (no password hash), services, redemptions, gifts, relatives and wallet history", async (t) => {
  const db = openDatabase(':memory:');
  const keys = testSecrets();
  const nowMs = Date.UTC(2026, 10, 23, 2, 0, 0);
  await seedDemoNetwork(db, keys, nowMs);
  const context = { db, keys, now: () => nowMs };
  const one = <T>(sql: string, ...args: unknown[]) => db.$client.prepare(sql).get(...args) as T;
  const volunteer = one<{ id: number; memberId: number; hash: string }>(`SELECT id, member_id AS memberId, password_hash AS hash FROM users WHERE phone = '13800000001'`);
  const memberId = volunteer.memberId;
  // A relative and a gift, so those parts are not empty whatever the demo holds.
  const other = one<{ id: number }>(`SELECT id FROM members WHERE village_code = '433123101001' AND status = 'active' AND id <> ? ORDER BY id LIMIT 1`, memberId).id;
  db.$client.prepare(`INSERT OR IGNORE INTO member_relatives (member_id, relative_member_id, relation, registered_at_ms) VALUES (?, ?, '女儿', ?)`).run(memberId, other, nowMs);
  db.$client.prepare(`INSERT INTO member_gifts (idempotency_key, kind, from_member_id, to_member_id, amount_minutes, transfer_ids, at_ms) VALUES ('export-test-gift', 'gift', ?, ?, 30, '[]', ?)`).run(memberId, other, nowMs);
  const admin: Actor = actorWithRoles(db, { userId: 6, memberId: null, roles: [{ role: 'admin', regionCode: '430000', siteId: null }], ipAddress: '127.0.0.1' });

  const result = exportMemberData(context, admin, memberId);
  if (!result.ok) return t.fail(JSON.stringify(result));
  const copy = result.value as Record<string, any>;
  const json = JSON.stringify(copy);
  t.notMatch(json, volunteer.hash, 'the password hash is never exported');
  t.notMatch(json, '$argon2', 'nor any hash');
  const pinHash = db.$client.prepare('SELECT pin_hash FROM members WHERE id = ?').pluck().get(memberId) as string | null;
  if (pinHash !== null) t.notMatch(json, pinHash, 'nor the PIN\'s HMAC');
  t.notMatch(json, /hmac-(sha256|sm3)\$/, 'nor any PIN hash');

  t.equal(copy.account.length, 1, 'the sign-in account');
  t.match(copy.account[0], { id: volunteer.id, phone: '138****0001', password: /never exported/ }, 'staff see the phone masked');
  t.equal(copy.masked, true);
  t.notMatch(json, /(?<!\d)\d{17}[\dXx](?!\d)/, 'no whole ID number in a staff copy');
  t.notMatch(json, /(?<!\d)1[3-9]\d{9}(?!\d)/, 'no whole phone in a staff copy');
  t.match(copy.account[0].roles, [{ role: 'volunteer', regionCode: '433123101001' }]);

  const given = one<{ n: number }>(`SELECT count(*) AS n FROM service_records WHERE volunteer_member_id = ?`, memberId).n;
  t.ok(given > 0, 'the demo volunteer has logged services');
  t.equal(copy.servicesGiven.length, given, 'every service given');
  t.ok(copy.servicesGiven.every((s: any) => typeof s.serviceType === 'string' && typeof s.durationMinutes === 'number'));
  t.ok(Array.isArray(copy.servicesReceived));

  t.equal(copy.gifts.length, one<{ n: number }>(`SELECT count(*) AS n FROM member_gifts WHERE from_member_id = ? OR to_member_id = ?`, memberId, memberId).n, 'every gift, given or received');
  t.match(copy.gifts.find((g: any) => g.amountMinutes === 30), { kind: 'gift', direction: 'given', otherMember: { memberId: other, name: /\*/ } });
  t.equal(copy.relatives.length, one<{ n: number }>(`SELECT count(*) AS n FROM member_relatives WHERE member_id = ? OR relative_member_id = ?`, memberId, memberId).n, 'every relative, either direction');
  t.match(copy.relatives.find((r: any) => r.memberId === other), { relation: '女儿', name: /\*/ }, 'relatives by id and masked name');

  const wallet = one<{ creditsPosted: number; debitsPosted: number } | undefined>(`SELECT credits_posted AS creditsPosted, debits_posted AS debitsPosted FROM ledger_accounts WHERE id = ?`, `wallet:m${memberId}`);
  t.ok(wallet, 'the member has a wallet');
  const transfers = copy.walletHistory.transfers as { balanceAfterMinutes: number; direction: string }[];
  t.equal(transfers.length, one<{ n: number }>(`SELECT count(*) AS n FROM ledger_transfers WHERE debit_account_id = ? OR credit_account_id = ?`, `wallet:m${memberId}`, `wallet:m${memberId}`).n, 'every wallet transfer');
  t.ok(transfers.length > 0);
  t.equal(transfers.at(-1)!.balanceAfterMinutes, wallet!.creditsPosted - wallet!.debitsPosted, 'the last balance is the wallet balance');

  // A member who bought something at a partner site: the redemptions, with their lines.
  const shopper = one<{ memberId: number; n: number }>(`SELECT member_id AS memberId, count(*) AS n FROM redemptions GROUP BY member_id ORDER BY n DESC LIMIT 1`);
  const shopperCopy = exportMemberData(context, admin, shopper.memberId);
  if (!shopperCopy.ok) return t.fail('shopper export');
  const redemptions = (shopperCopy.value as Record<string, any>).redemptions as { site: { name: string }; lines: unknown[]; status: string }[];
  t.equal(redemptions.length, shopper.n, 'every redemption');
  t.ok(redemptions.every((r) => r.site.name && Array.isArray(r.lines)), 'with the site and the lines bought');
  t.ok(redemptions.some((r) => r.lines.length > 0));
});

t.test('services given and received through service requests are in the copy, with the request they completed', async (t) => {
  const db = openDatabase(':memory:');
  const { keys } = await seedRequestNetwork(db);
  const context = { db, keys, now: () => Date.UTC(2026, 11, 1, 2, 0, 0) };
  const memberNamed = (name: string) => db.$client.prepare('SELECT id FROM members WHERE real_name = ? ORDER BY id LIMIT 1').pluck().get(name) as number;
  const admin: Actor = actorWithRoles(db, { userId: 6, memberId: null, roles: [{ role: 'admin', regionCode: '430000', siteId: null }], ipAddress: '127.0.0.1' });
  const requestOf = (category: string) => db.$client.prepare("SELECT id FROM service_requests WHERE service_category = ? AND status = 'completed'").pluck().get(category) as number;

  const volunteer = exportMemberData(context, admin, memberNamed('龙秀英'));
  if (!volunteer.ok) return t.fail(JSON.stringify(volunteer));
  const given = (volunteer.value as Record<string, any>).servicesGiven.filter((s: any) => s.source === 'request');
  t.match(given, [
    { serviceType: 'companionship', durationMinutes: 50, creditMinutes: 50, status: 'completed', requestId: requestOf('companionship'), serviceDate: '2026-11-23' },
    { serviceType: 'meal_delivery', durationMinutes: 45, creditMinutes: 45, status: 'completed', requestId: requestOf('meals'), serviceDate: '2026-12-01' },
  ], 'the two requests she completed, as services given');
  t.equal(given.length, 2);

  const elder = exportMemberData(context, admin, memberNamed('刘德顺'));
  if (!elder.ok) return t.fail(JSON.stringify(elder));
  const received = (elder.value as Record<string, any>).servicesReceived.filter((s: any) => s.source === 'request');
  t.match(received, [
    { serviceType: 'cleaning', durationMinutes: 60, requestId: requestOf('cleaning'), volunteer: { name: /\*/ } },
    { serviceType: 'meal_delivery', durationMinutes: 45, requestId: requestOf('meals'), volunteer: { name: /\*/ } },
  ], 'the registered elder received both requests made for him; the volunteers by masked name');
  t.equal(received.length, 2, 'not the cancelled or the unconfirmed one');
});
