import t from 'tap';
import { eq } from 'drizzle-orm';
import { members } from '../../../../src/db/schema/people.ts';
import { hashPin } from '../../../../src/domain/people/members/pin-hash.ts';
import { pinMaximumAttempts, setMemberPin, verifyMemberPin } from '../../../../src/domain/people/members/pin.ts';
import { registerMember } from '../../../../src/domain/people/members/register.ts';
import { searchMembers } from '../../../../src/domain/people/members/query.ts';
import { changeMemberStatus } from '../../../../src/domain/people/members/status.ts';
import { translator } from '../../../../src/i18n/index.ts';
import { peopleFixture, villages } from '../fixture.ts';
import { actorWithRoles } from '../../../helpers/actor.ts';

t.test('PIN: six digits, not trivial; wrong attempts lock it; a suspended member is refused', async (t) => {
  const f = peopleFixture();
  const created = registerMember(f.context, f.coordinatorA, { realName: '钱五', phone: '13600002222', idNumber: f.idNumber(91), villageCode: villages.hongqi });
  if (!created.ok) return t.fail('register');
  const id = created.value.memberId;
  for (const [pin, code] of [['12345', 'people.error.pin_format'], ['12345a', 'people.error.pin_format'], ['111111', 'people.error.pin_too_simple'], ['123456', 'people.error.pin_too_simple'], ['987654', 'people.error.pin_too_simple']]) {
    const refused = await setMemberPin(f.context, f.coordinatorA, id, pin!);
    t.same(refused.ok ? null : refused.problems[0]!.code, code, `PIN ${pin} refused`);
  }
  const notSet = await verifyMemberPin(f.context, id, '246810');
  t.same(notSet.ok ? null : notSet.problems[0]!.code, 'people.error.pin_not_set');
  const outsider = await setMemberPin(f.context, f.coordinatorB, id, '246810');
  t.equal(outsider.ok ? 0 : outsider.status, 404, 'a member outside the scope reads as missing');
  t.ok((await setMemberPin(f.context, f.coordinatorA, id, '246810')).ok);
  const row = f.db.select().from(members).where(eq(members.id, id)).get()!;
  t.equal(row.pinHash, hashPin(f.context.keys, id, '246810'), 'stored as the HMAC under the PIN key');
  t.ok((await verifyMemberPin(f.context, id, '246810')).ok);

  for (let attempt = 1; attempt < pinMaximumAttempts; attempt += 1) {
    const wrong = await verifyMemberPin(f.context, id, '135790');
    t.same(wrong.ok ? null : [wrong.status, wrong.problems[0]!.params!.remaining], [422, pinMaximumAttempts - attempt]);
  }
  const locking = await verifyMemberPin(f.context, id, '135790');
  t.same(locking.ok ? null : [locking.status, locking.problems[0]!.code], [423, 'people.error.pin_locked']);
  const lockedRight = await verifyMemberPin(f.context, id, '246810');
  t.same(lockedRight.ok ? null : lockedRight.status, 423, 'even the right PIN is refused while locked');
  if (!lockedRight.ok) t.equal(translator('zh-CN')(lockedRight.problems[0]!.code, lockedRight.problems[0]!.params), '密码错误次数太多，已锁定，请 30 分钟后再试，或请协管员重设。');
  f.clock.ms += 31 * 60_000;
  t.ok((await verifyMemberPin(f.context, id, '246810')).ok, 'unlocked after 30 minutes');

  const self = actorWithRoles(f.db, { userId: 500, memberId: id, roles: [{ role: 'volunteer' as const, regionCode: villages.hongqi }] });
  t.ok((await setMemberPin(f.context, self, id, '802413')).ok, 'the member sets their own PIN');
  t.ok(changeMemberStatus(f.context, f.coordinatorA, id, 'suspend', '核查').ok);
  const suspended = await verifyMemberPin(f.context, id, '802413');
  t.same(suspended.ok ? null : [suspended.status, suspended.problems[0]!.code], [423, 'people.error.member_suspended']);
  const suspendedSet = await setMemberPin(f.context, self, id, '802419');
  t.equal(suspendedSet.ok ? 0 : suspendedSet.status, 409);
});

t.test('search by name, full pinyin, initials (多音字 surnames), card number, last 4 of phone; scoped and paginated', async (t) => {
  const f = peopleFixture();
  const people: [string, string, string][] = [
    ['单田芳', '13700000001', villages.hongqi],
    ['曾小贤', '13700000002', villages.hongqi],
    ['张三丰', '13700001234', villages.hongqi],
    ['张三', '13700000004', villages.dongzheng],
    ['吕布', '13700000005', villages.hongqi],
    ['张飞', '13700000006', villages.xinqiao],
  ];
  const cards = new Map<string, string>();
  people.forEach(([name, phone, village], index) => {
    const actor = village === villages.xinqiao ? f.coordinatorB : f.countyOffice;
    const result = registerMember(f.context, actor, { realName: name, phone, idNumber: f.idNumber(100 + index, '1960-01-01', village.slice(0, 6)), villageCode: village });
    if (!result.ok) throw new Error(JSON.stringify(result));
    cards.set(name, result.value.cardNumber!);
  });
  const names = (query: string, actor = f.countyOffice) => {
    const result = searchMembers(f.context, actor, { query });
    return result.ok ? result.value.items.map((m) => m.realName).sort() : result.status;
  };
  t.same(names('张三'), ['张三', '张三丰'], 'Chinese name substring');
  t.same(names('zhangsan'), ['张三', '张三丰'], 'full pinyin');
  t.same(names('zsf'), ['张三丰'], 'initials');
  t.same(names('ZS'), ['张三', '张三丰'], 'initials, any case');
  t.same(names('shan'), ['单田芳'], '单 as a surname reads shan');
  t.same(names('dantianfang'), ['单田芳'], 'the plain reading also finds it');
  t.same(names('zengxiaoxian'), ['曾小贤'], '曾 as a surname reads zeng');
  t.same(names('lubu'), ['吕布'], 'ü typed as u');
  t.same(names('lvbu'), ['吕布'], 'ü typed as v');
  t.same(names('1234'), ['张三丰'], 'last 4 digits of phone');
  t.same(names(cards.get('曾小贤')!), ['曾小贤'], 'card number');
  t.same(names('zhangfei'), [], 'a member of another county is not found');
  t.same(names('张', f.coordinatorA), ['张三丰'], 'a village coordinator sees only their village');
  t.same(names('zhang', f.coordinatorB), ['张飞']);
  t.same(names('%'), [], 'LIKE wildcards are literal');
  t.equal(names('张', f.nobody), 403);
  const page1 = searchMembers(f.context, f.countyOffice, { pageSize: 2, page: 1 });
  const page3 = searchMembers(f.context, f.countyOffice, { pageSize: 2, page: 3 });
  t.same(page1.ok && [page1.value.total, page1.value.pageCount, page1.value.items.length], [5, 3, 2]);
  t.same(page3.ok && page3.value.items.length, 1);
  const listed = searchMembers(f.context, f.countyOffice, { query: '1234' });
  t.same(listed.ok && listed.value.items[0]!.maskedPhone, '137****1234', 'lists show phones masked');
});
