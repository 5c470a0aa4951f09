import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { seedDemoNetwork } from '../../../src/domain/demo/network.ts';
import { demoRedemptionPin } from '../../../src/domain/demo/redemption.ts';
import { openIdNumber } from '../../../src/domain/people/members/identity.ts';
import { verifyMemberPin } from '../../../src/domain/people/members/pin.ts';
import { parseIdNumber } from '../../../src/lib/idcard.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';

/**
 * Issue 14 item 18: the demo network says one thing everywhere. Every member
 * with a card has the README's PIN 258036; every gender comes from the ID
 * number and fits the name; a person who is both a member and a registered
 * elder has one ID number; relations such as 父女 fit the genders.
 */
const nowMs = Date.UTC(2026, 11, 6, 2, 0, 0); // 2026-12-06 10:00 in Asia/Shanghai

/** Name endings that read as a woman's or a man's in the demo; every demo name must match one. */
const womensEndings = ['英', '花', '兰', '梅', '芝', '香', '婆', '奶奶', '莲', '芳', '丽', '红', '梅'];
const mensEndings = ['富', '顺', '山', '明', '汉', '生', '国', '庆', '三', '荣', '公', '爷爷', '福', '强', '军'];

function genderOfName(name: string): 'male' | 'female' | null {
  if (womensEndings.some((ending) => name.endsWith(ending))) return 'female';
  if (mensEndings.some((ending) => name.endsWith(ending))) return 'male';
  return null;
}

t.test('the demo network: PINs, genders, names and relations agree', async (t) => {
  const db = openDatabase(':memory:');
  const secrets = testSecrets();
  await seedDemoNetwork(db, secrets, nowMs);
  const context = { db, keys: secrets, now: () => nowMs };

  const cardholders = db.$client.prepare("SELECT id, real_name AS name FROM members WHERE card_number IS NOT NULL AND status = 'active'").all() as { id: number; name: string }[];
  t.ok(cardholders.length >= 40, `${cardholders.length} demo members with a card`);
  const withoutPin: string[] = [];
  for (const member of cardholders) {
    const checked = await verifyMemberPin(context, member.id, demoRedemptionPin);
    if (!checked.ok) withoutPin.push(`${member.name}: ${checked.problems[0]?.code}`);
  }
  t.same(withoutPin, [], `every one of them has PIN ${demoRedemptionPin}, as the README says`);

  for (const table of ['members', 'elders'] as const) {
    const rows = db.$client.prepare(`SELECT id, real_name AS name, gender, id_number_ciphertext AS sealed FROM ${table}`).all() as { id: number; name: string; gender: string; sealed: string }[];
    const wrong: string[] = [];
    for (const row of rows) {
      const parsed = parseIdNumber(openIdNumber(secrets, row.sealed), '2026-12-06');
      const fromId = parsed.ok ? parsed.info.gender : 'invalid';
      if (row.gender !== fromId) wrong.push(`${row.name}: stored ${row.gender}, ID says ${fromId}`);
      if (genderOfName(row.name) !== fromId) wrong.push(`${row.name}: the name reads ${genderOfName(row.name) ?? 'neither'}, the ID says ${fromId}`);
    }
    t.same(wrong, [], `${table}: ${rows.length} genders from the ID numbers, fitting the names`);
  }

  const sameOne = db.$client.prepare(`SELECT e.real_name AS name, e.id_number_hmac = m.id_number_hmac AS same
                                        FROM elders e JOIN members m ON m.id = e.member_id`).all() as { name: string; same: number }[];
  t.ok(sameOne.length >= 2, 'some elders are members too');
  t.same(sameOne.filter((row) => row.same !== 1).map((row) => row.name), [], 'an elder who is a member has one ID number');

  const relations = db.$client.prepare(`SELECT a.real_name AS a, a.gender AS aGender, b.real_name AS b, b.gender AS bGender, r.relation
                                          FROM member_relatives r JOIN members a ON a.id = r.member_id JOIN members b ON b.id = r.relative_member_id`).all() as { a: string; aGender: string; b: string; bGender: string; relation: string }[];
  const daughterAndFather = relations.find((row) => row.relation === '父女');
  t.ok(daughterAndFather, 'the 父女 pair is in the demo');
  t.same([daughterAndFather?.a, daughterAndFather?.aGender, daughterAndFather?.b, daughterAndFather?.bGender], ['王秀英', 'female', '刘德顺', 'male'], '王秀英 is a woman, her father a man');
  for (const row of relations.filter((relation) => relation.relation === '夫妻')) t.not(row.aGender, row.bGender, `${row.a} and ${row.b}: a married couple of a man and a woman`);
});
