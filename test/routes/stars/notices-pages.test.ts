import t from 'tap';
import { createNetworkApp, visibleText } from '../../helpers/web.ts';

/** Every notice in progress can be reached on /notices: 50 a page, with a next page (the review found a silent cut at 200). */
t.test('/notices pages through every notice in progress', async (t) => {
  const test = await createNetworkApp();
  t.teardown(() => test.app.close());
  const sqlite = test.db.$client;
  const members = sqlite.prepare("SELECT id, village_code AS village FROM members WHERE status = 'active' ORDER BY id LIMIT 11").all() as { id: number; village: string }[];
  const insert = sqlite.prepare(`INSERT INTO star_awards (member_id, star, status, service_minutes, village_code, awarding_region_code, proposed_at_ms, notice_working_days,
    notice_start_date, notice_end_date) VALUES (?, ?, 'on_notice', 6000, ?, ?, 0, 5, '2026-11-24', '2026-12-31')`);
  let added = 0;
  for (const member of members) for (let star = 1; star <= 5 && added < 55; star += 1) {
    if (sqlite.prepare('SELECT 1 FROM star_awards WHERE member_id = ? AND star = ?').get(member.id, star)) continue;
    insert.run(member.id, star, member.village, member.village.slice(0, 6));
    added += 1;
  }
  const total = sqlite.prepare("SELECT count(*) FROM star_awards WHERE status = 'on_notice'").pluck().get() as number;
  t.ok(total > 50, `${total} notices in progress`);
  const first = await test.app.inject({ url: '/notices' });
  t.equal((first.body.match(/<li class="card" id="notice-/g) ?? []).length, 50, 'fifty on the first page');
  t.match(first.body, 'href="/notices?page=2"', 'a link to the next page');
  const second = await test.app.inject({ url: '/notices?page=2' });
  t.equal((second.body.match(/<li class="card" id="notice-/g) ?? []).length, total - 50, 'the rest on the second');
  t.match(visibleText(second.body), '上一页');
  t.notMatch(second.body, 'page=3', 'no third page');
  const bad = await test.app.inject({ url: '/notices?page=abc' });
  t.equal(bad.statusCode, 400, 'a malformed page number is refused');
});
