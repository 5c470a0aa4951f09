import t, { type Test } from 'tap';
import { burstFromAnotherProcess } from '../../helpers/burst.ts';
import { AddressClient } from '../../helpers/http-client.ts';
import { count, visibleText } from '../../helpers/web.ts';
import { objectionsPerAddressPerDay, objectionsPerNoticePerDay } from '../../../src/domain/stars/objections.ts';
import { createHoursApp, starOnNotice } from './helpers.ts';

/** A star on notice in an app listening on 127.0.0.1 (port 0). */
async function listeningNotice(t: Test) {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const { awardId } = await starOnNotice(testApp);
  await testApp.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (testApp.app.server.address() as { port: number }).port;
  return { testApp, awardId, port };
}

t.test(`one address files at most ${objectionsPerAddressPerDay} objections a day, also when it sends many at once`, async (t) => {
  const { testApp, awardId, port } = await listeningNotice(t);
  const client = new AddressClient(port, '127.0.0.1');
  await client.get('/notices');
  const cookie = [...client.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const requests = Array.from({ length: 12 }, (_, index) => ({
    path: `/notices/${awardId}/objections`, form: { _csrf: client.csrfToken, reason: `理由 ${index}`, phone: '13912345678' },
  }));
  const answers = await burstFromAnotherProcess(`http://127.0.0.1:${port}`, cookie, requests);
  const statuses = answers.map((answer) => answer.status).sort();
  t.same(statuses, [...Array(objectionsPerAddressPerDay).fill(303), ...Array(12 - objectionsPerAddressPerDay).fill(429)], `${objectionsPerAddressPerDay} filed, the rest refused`);
  const refused = answers.find((answer) => answer.status === 429);
  t.match(visibleText(refused?.body ?? ''), `同一网络一天最多提交 ${objectionsPerAddressPerDay} 条异议`);
  t.equal(count(testApp.db, 'star_objections'), objectionsPerAddressPerDay, 'the database holds exactly the limit');
  testApp.clock.advance(24 * 3_600_000 + 1);
  const nextDay = await client.post(`/notices/${awardId}/objections`, { reason: '第二天', phone: '13912345678' });
  t.equal(nextDay.status, 303, 'a day later (Tuesday 2026-11-24, inside the notice) the address may object again');
  t.equal(count(testApp.db, 'star_objections'), objectionsPerAddressPerDay + 1);
});

t.test(`one notice takes at most ${objectionsPerNoticePerDay} objections a day from all addresses, sent in parallel`, async (t) => {
  const { testApp, awardId, port } = await listeningNotice(t);
  const clients = Array.from({ length: objectionsPerNoticePerDay + 6 }, (_, index) => new AddressClient(port, `127.0.1.${index + 1}`));
  await Promise.all(clients.map((client) => client.get('/notices')));
  const answers = await Promise.all(clients.map((client, index) => client.post(`/notices/${awardId}/objections`, { reason: `理由 ${index}`, phone: '13912345678' })));
  const filed = answers.filter((answer) => answer.status === 303).length;
  const refused = answers.filter((answer) => answer.status === 429);
  t.equal(filed, objectionsPerNoticePerDay, 'exactly the limit filed');
  t.equal(refused.length, 6, 'the rest refused with 429');
  t.match(visibleText(refused[0]?.body ?? ''), `这条公示今天收到的异议已达 ${objectionsPerNoticePerDay} 条`);
  t.equal(count(testApp.db, 'star_objections'), objectionsPerNoticePerDay);
  t.equal(Number(testApp.db.$client.prepare('SELECT count(DISTINCT address_hash) FROM star_objections').pluck().get()), objectionsPerNoticePerDay, 'each from its own address, kept only as a keyed hash');
});
