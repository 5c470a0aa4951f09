import t from 'tap';
import { openIdNumber } from '../../../src/domain/people/members/identity.ts';
import { maskIdNumber } from '../../../src/lib/mask.ts';
import { signedInAs, visibleText, TestBrowser } from '../../helpers/web.ts';
import { createHoursApp, scalar } from '../hours/helpers.ts';
import { otherCountyOffice, requestAllTime, sealUpload, tinyPng, volunteerMemberId } from './helpers.ts';

t.test('the volunteer requests, the county office issues with its seal, anyone verifies 有效, the office revokes: 已撤销', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const memberId = volunteerMemberId(testApp);
  const served = scalar(testApp, "SELECT sum(duration_minutes) FROM service_records WHERE volunteer_member_id = ? AND status = 'approved' AND county_code = '433123'", memberId);
  t.ok(served > 0, 'the demo volunteer has verified hours');
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const requestId = await requestAllTime(testApp, volunteer);
  t.match(visibleText((await volunteer.get('/certificates?done=requested')).body), '待出具');

  const office = await signedInAs(testApp.app, 'office');
  const board = visibleText((await office.get('/certificates')).body);
  t.match(board, '王秀英');
  t.equal((await sealUpload(office, tinyPng)).statusCode, 303, 'the seal is uploaded');
  const issued = await office.post(`/certificates/requests/${requestId}/issue`, {});
  t.equal(issued.statusCode, 303);
  const certificateId = scalar(testApp, 'SELECT id FROM certificates WHERE request_id = ?', requestId);
  t.equal(issued.headers.location, `/certificates/${certificateId}`);
  const number = scalar<string>(testApp, 'SELECT number FROM certificates WHERE id = ?', certificateId);
  t.match(number, /^ZM433123\d{12}[\dX]$/);
  t.equal(scalar(testApp, 'SELECT status FROM certificate_requests WHERE id = ?', requestId), 'issued');
  t.same(testApp.db.$client.prepare("SELECT kind, params_json AS params FROM messages WHERE recipient_member_id = ? AND kind = 'certificate_issued'").all(memberId),
    [{ kind: 'certificate_issued', params: JSON.stringify({ certificateId, number }) }], 'one message tells the volunteer');
  t.match(visibleText((await volunteer.get('/messages')).body), `您申请的志愿服务记录证明已出具，编号 ${number}`);

  const page = (await volunteer.get(`/certificates/${certificateId}`)).body;
  const text = visibleText(page);
  t.match(text, '志愿服务记录证明');
  t.match(text, '王秀英');
  t.match(text, scalar<string>(testApp, 'SELECT volunteer_number FROM members WHERE id = ?', memberId));
  const idNumber = openIdNumber(testApp.app.secrets, scalar<string>(testApp, 'SELECT id_number_ciphertext FROM members WHERE id = ?', memberId));
  t.match(text, maskIdNumber(idNumber), 'the ID number, masked');
  t.notMatch(text, idNumber, 'never the whole ID number');
  t.match(text, '凤凰县老龄办');
  t.match(page, /<svg[^>]*>/, 'the QR code is drawn');
  t.match(page, `/verify/${number}`);
  t.match(page, /<img class="certificate-seal" src="data:image\/png;base64,/, 'the seal is printed');

  const stranger = new TestBrowser(testApp.app);
  const verified = await stranger.get(`/verify/${number}`);
  t.equal(verified.statusCode, 200);
  t.match(visibleText(verified.body), '有效');
  t.match(visibleText(verified.body), '王*英', 'the public page masks the name');
  t.notMatch(visibleText(verified.body), '王秀英');

  const revoked = await office.post(`/certificates/${certificateId}/revoke`, { reason: '服务记录有误' });
  t.equal(revoked.statusCode, 303);
  t.equal(scalar(testApp, 'SELECT revoked_reason FROM certificates WHERE id = ?', certificateId), '服务记录有误');
  const after = visibleText((await stranger.get(`/verify/${number}`)).body);
  t.match(after, '已撤销');
  t.match(after, '服务记录有误');
  t.equal(scalar(testApp, "SELECT count(*) FROM audit_log WHERE action IN ('certificate.request','certificate.issue','certificate.revoke','certificate.seal_upload')"), 4, 'every step audited');
});

t.test('refusals: wrong role, another county, unknown and malformed numbers, a tampered row', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const requestId = await requestAllTime(testApp, volunteer);
  const before = scalar(testApp, 'SELECT count(*) FROM certificates');

  await volunteer.get('/certificates');
  const self = await volunteer.post(`/certificates/requests/${requestId}/issue`, {});
  t.equal(self.statusCode, 403, 'a volunteer cannot issue: wrong role');
  t.match(visibleText(self.body), '只有县级老龄办可以出具证明');
  const city = await signedInAs(testApp.app, 'office-city');
  await city.get('/certificates');
  t.equal((await city.post(`/certificates/requests/${requestId}/issue`, {})).statusCode, 403, 'a city office does not issue');
  const other = await otherCountyOffice(testApp);
  await other.get('/certificates');
  const otherIssue = await other.post(`/certificates/requests/${requestId}/issue`, {});
  t.equal(otherIssue.statusCode, 404);
  t.match(visibleText(otherIssue.body), '找不到这份证明申请');
  t.equal(scalar(testApp, 'SELECT count(*) FROM certificates'), before, 'nothing issued');

  const office = await signedInAs(testApp.app, 'office');
  await office.post(`/certificates/requests/${requestId}/issue`, {});
  const certificateId = scalar(testApp, 'SELECT id FROM certificates WHERE request_id = ?', requestId);
  const number = scalar<string>(testApp, 'SELECT number FROM certificates WHERE id = ?', certificateId);
  t.equal((await other.get(`/certificates/${certificateId}`)).statusCode, 404, "another county's certificate answers like a missing one");
  const otherRevoke = await other.post(`/certificates/${certificateId}/revoke`, { reason: '试试' });
  t.equal(otherRevoke.statusCode, 404);
  t.equal(scalar(testApp, 'SELECT revoked_at_ms FROM certificates WHERE id = ?', certificateId), null);
  const noReason = await office.post(`/certificates/${certificateId}/revoke`, { reason: '  ' });
  t.equal(noReason.statusCode, 422);
  t.match(visibleText(noReason.body), '请填写原因');

  const stranger = new TestBrowser(testApp.app);
  const unknownBody = number.slice(0, 12) + String((Number(number[12]) + 1) % 10) + number.slice(13, 20);
  for (const bad of ['ZM123', 'not-a-number', number.slice(0, 20) + (number[20] === '0' ? '1' : '0'), unknownBody + '0']) {
    const response = await stranger.get(`/verify/${bad}`);
    t.equal(response.statusCode, 404, `404 for ${bad}`);
    t.match(visibleText(response.body), '没有这份证明');
  }
  testApp.db.$client.prepare("UPDATE certificates SET content = replace(content, '\"totalMinutes\":', '\"totalMinutes\":9') WHERE id = ?").run(certificateId);
  const tampered = await stranger.get(`/verify/${number}`);
  t.equal(tampered.statusCode, 200);
  t.match(visibleText(tampered.body), '签名不符');
  t.notMatch(visibleText(tampered.body), '有效');
});

t.test('/verify is rate-limited per address like the other public pages', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const stranger = new TestBrowser(testApp.app);
  const statuses: number[] = [];
  for (let index = 0; index < 60; index += 1) statuses.push((await stranger.get('/verify/ZM000000000000000000')).statusCode);
  t.ok(statuses.every((status) => status === 404), '60 checks in a minute are answered');
  const limited = await stranger.get('/verify/ZM000000000000000000');
  t.equal(limited.statusCode, 429);
  t.match(visibleText(limited.body), '操作太频繁，请过几分钟再试。');
});
