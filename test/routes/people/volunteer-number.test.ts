import t from 'tap';
import { isValidVolunteerNumber } from '../../../src/domain/people/members/volunteer-number.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { createHoursApp, scalar } from '../hours/helpers.ts';

t.test('the volunteer number is on the member page, her own page, the card, the passbook, the statement, her copy and the roster', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const memberId = scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
  const number = scalar<string>(testApp, 'SELECT volunteer_number FROM members WHERE id = ?', memberId);
  t.ok(isValidVolunteerNumber(number), `the demo member has a valid number (${number})`);
  t.equal(scalar(testApp, 'SELECT count(*) FROM members WHERE volunteer_number IS NULL'), 0, 'every seeded member has one');

  const volunteer = await signedInAs(testApp.app, 'volunteer');
  t.match(visibleText((await volunteer.get('/members/me')).body), `志愿者编号 ${number}`);
  t.match(visibleText((await volunteer.get('/passbook')).body), `志愿者编号：${number}`);
  t.match(visibleText((await volunteer.get('/passbook/statement?from=2026-11-01&to=2026-11-23')).body), `志愿者编号：${number}`);
  const copy = JSON.parse((await volunteer.get('/members/me/export')).body) as { member: { volunteerNumber: string } };
  t.equal(copy.member.volunteerNumber, number);

  const coordinator = await signedInAs(testApp.app, 'coordinator');
  t.match(visibleText((await coordinator.get(`/members/${memberId}`)).body), `志愿者编号 ${number}`);
  t.match(visibleText((await coordinator.get(`/members/${memberId}/card`)).body), `志愿者编号 ${number}`);

  const office = await signedInAs(testApp.app, 'office');
  const csv = (await office.get('/reports/433123/roster.csv?from=2026-09&to=2026-11')).body;
  t.match(csv.split('\n').find((line) => line.includes('志愿者编号')) ?? '', /^志愿者编号,/, 'the roster starts with the volunteer number');
  t.match(csv, number);
  t.notMatch(csv, /\d{17}[\dX]/, 'no ID number in the roster');
});
