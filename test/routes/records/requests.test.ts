import t from 'tap';
import { signedInAs, visibleText, listeningAs } from '../../helpers/web.ts';
import { createHoursApp, scalar } from '../hours/helpers.ts';
import { requestAllTime, sealUpload, tinyPng, volunteerMemberId } from './helpers.ts';

const count = (testApp: Parameters<typeof scalar>[0], table: string) => scalar(testApp, `SELECT count(*) FROM ${table}`);

t.test('a bad period is refused in Chinese, with the field, and writes nothing', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/certificates/new');
  const cases: [Record<string, string>, string][] = [
    [{ period: 'range', from: '', to: '2026-11-01' }, '请填写正确的开始日期'],
    [{ period: 'range', from: '2026-02-30', to: '2026-11-01' }, '请填写正确的开始日期'],
    [{ period: 'range', from: '2026-11-01', to: 'yesterday' }, '请填写正确的结束日期'],
    [{ period: 'range', from: '2026-11-10', to: '2026-11-01' }, '开始日期不能晚于结束日期'],
    [{ period: 'range', from: '2026-11-01', to: '2026-12-31' }, '结束日期不能晚于今天（2026-11-23）'],
    [{ period: 'range', from: '1999-12-31', to: '2026-11-01' }, '开始日期不能早于 2000-01-01'],
  ];
  for (const [form, message] of cases) {
    const response = await volunteer.post('/certificates/requests', form);
    t.equal(response.statusCode, 422, JSON.stringify(form));
    t.match(visibleText(response.body), message);
    t.match(response.body, /aria-invalid="true"/, 'the field is marked');
  }
  t.equal(count(testApp, 'certificate_requests'), 0);
  t.equal(scalar(testApp, "SELECT count(*) FROM audit_log WHERE action = 'certificate.request'"), 0);
  const english = await volunteer.post('/certificates/requests', { period: 'range', from: '2026-11-10', to: '2026-11-01' }, { headers: { 'accept-language': 'en' } });
  t.equal(english.statusCode, 422);
  const ok = await volunteer.post('/certificates/requests', { period: 'range', from: '2026-09-01', to: '2026-11-23' });
  t.equal(ok.statusCode, 303);
  t.same(testApp.db.$client.prepare('SELECT from_date, to_date, status, county_code FROM certificate_requests').get(), { from_date: '2026-09-01', to_date: '2026-11-23', status: 'pending', county_code: '433123' });
});

t.test('one pending request per member, even when six arrive at once through the server', async (t) => {
  const test = await listeningAs('volunteer', createHoursApp);
  t.teardown(() => test.app.close());
  await test.client.get('/certificates/new');
  const answers = await Promise.all(Array.from({ length: 6 }, () => test.client.post('/certificates/requests', { period: 'all', _csrf: test.client.csrfToken })));
  t.same(answers.map((answer) => answer.status).sort(), [303, 409, 409, 409, 409, 409]);
  t.match(visibleText(answers.find((answer) => answer.status === 409)!.body), '已经有一份待出具的申请');
  t.equal(count(test, 'certificate_requests'), 1);
});

t.test('a coordinator asks for a member without a phone in her township; not for one outside it', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const inside = scalar(testApp, "SELECT id FROM members WHERE phone IS NULL AND village_code LIKE '433123101%' AND status = 'active' ORDER BY id LIMIT 1");
  const outside = scalar(testApp, "SELECT id FROM members WHERE village_code NOT LIKE '433123101%' AND status = 'active' ORDER BY id LIMIT 1");
  const form = await coordinator.get(`/certificates/new?member=${inside}`);
  t.equal(form.statusCode, 200);
  t.match(visibleText(form.body), '志愿者编号');
  t.equal((await coordinator.post('/certificates/requests', { member: String(inside), period: 'all' })).statusCode, 303);
  t.equal(scalar(testApp, 'SELECT member_id FROM certificate_requests'), inside);
  t.equal(scalar(testApp, 'SELECT requested_by_user_id FROM certificate_requests'), scalar(testApp, "SELECT id FROM users WHERE phone = '13800000002'"));
  if (outside) {
    t.equal((await coordinator.get(`/certificates/new?member=${outside}`)).statusCode, 404);
    const refused = await coordinator.post('/certificates/requests', { member: String(outside), period: 'all' });
    t.equal(refused.statusCode, 404);
    t.match(visibleText(refused.body), '找不到这位成员');
  }
  t.equal(count(testApp, 'certificate_requests'), 1);
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/certificates');
  const other = await volunteer.post('/certificates/requests', { member: String(inside), period: 'all' });
  t.equal(other.statusCode, 404, 'a volunteer cannot ask for someone else');
});

t.test('the seal: only PNG or JPEG, at most 300 KB, by a county office', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const office = await signedInAs(testApp.app, 'office');
  await office.get('/certificates');
  const notImage = await sealUpload(office, Buffer.from('GIF89a not a seal at all'), 'seal.png');
  t.equal(notImage.statusCode, 422);
  t.match(visibleText(notImage.body), '印章必须是 PNG 或 JPEG 图片');
  const large = Buffer.concat([tinyPng, Buffer.alloc(301 * 1024)]);
  const tooLarge = await sealUpload(office, large);
  t.equal(tooLarge.statusCode, 413);
  t.match(visibleText(tooLarge.body), '印章图片不能超过 300 KB');
  const empty = await sealUpload(office, Buffer.alloc(0));
  t.equal(empty.statusCode, 422);
  t.match(visibleText(empty.body), '请选择印章图片文件');
  const otherCounty = await sealUpload(office, tinyPng, 'seal.png', '433122');
  t.equal(otherCounty.statusCode, 404, "another county's seal is not this office's to upload");
  t.equal(count(testApp, 'certificate_seals'), 0, 'nothing stored');
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get('/certificates');
  const wrongRole = await sealUpload(coordinator, tinyPng);
  t.equal(wrongRole.statusCode, 403);
  t.match(visibleText(wrongRole.body), '只有县级老龄办');
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100)]);
  t.equal((await sealUpload(office, jpeg, 'seal.jpg')).statusCode, 303);
  t.equal(scalar(testApp, 'SELECT media_type FROM certificate_seals'), 'image/jpeg');
  t.equal(scalar(testApp, "SELECT count(*) FROM audit_log WHERE action = 'certificate.seal_upload'"), 1);
});

t.test('declining needs a reason; a decided request cannot be decided again; no hours cannot be certified', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/certificates/new');
  t.equal((await volunteer.post('/certificates/requests', { period: 'range', from: '2020-01-01', to: '2020-12-31' })).statusCode, 303);
  const requestId = scalar(testApp, 'SELECT id FROM certificate_requests');
  const office = await signedInAs(testApp.app, 'office');
  await office.get('/certificates');
  const noHours = await office.post(`/certificates/requests/${requestId}/issue`, {});
  t.equal(noHours.statusCode, 409);
  t.match(visibleText(noHours.body), '没有审核通过的服务记录');
  t.equal(count(testApp, 'certificates'), 0);
  const noReason = await office.post(`/certificates/requests/${requestId}/decline`, { reason: ' ' });
  t.equal(noReason.statusCode, 422);
  t.match(visibleText(noReason.body), '请填写原因');
  t.equal(scalar(testApp, 'SELECT status FROM certificate_requests'), 'pending');
  t.equal((await office.post(`/certificates/requests/${requestId}/decline`, { reason: '该期间没有服务记录' })).statusCode, 303);
  t.same(testApp.db.$client.prepare('SELECT status, decline_reason FROM certificate_requests').get(), { status: 'declined', decline_reason: '该期间没有服务记录' });
  t.match(visibleText((await volunteer.get('/certificates')).body), '未出具：该期间没有服务记录');
  const again = await office.post(`/certificates/requests/${requestId}/issue`, {});
  t.equal(again.statusCode, 409);
  t.match(visibleText(again.body), '这份申请已经处理过了');
  t.equal(count(testApp, 'certificates'), 0);
  // A new request may follow once the first is decided.
  t.equal((await requestAllTime(testApp, volunteer)) > requestId, true);
});

t.test('a reversed record behind a certificate: /verify says the records changed, the office is told to revoke', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const requestId = await requestAllTime(testApp, volunteer);
  const office = await signedInAs(testApp.app, 'office');
  await office.get('/certificates');
  await office.post(`/certificates/requests/${requestId}/issue`, {});
  const number = scalar<string>(testApp, 'SELECT number FROM certificates');
  const recordId = scalar(testApp, "SELECT id FROM service_records WHERE volunteer_member_id = ? AND status = 'approved' AND county_code = '433123' ORDER BY id LIMIT 1", volunteerMemberId(testApp));
  await office.get(`/hours/records/${recordId}`);
  const reversed = await office.post(`/hours/records/${recordId}/reverse`, { reverse_reason: '重复登记' });
  t.equal(reversed.statusCode, 303);
  const page = visibleText((await volunteer.get(`/verify/${number}`)).body);
  t.match(page, '记录已变更，待出具单位复核');
  t.notMatch(page, /有效/);
  t.match(visibleText((await office.get('/certificates')).body), '建议撤销');
});

t.test('the office clicks 出具证明 four times at once: one certificate, the request issued once', async (t) => {
  const test = await listeningAs('office', createHoursApp);
  t.teardown(() => test.app.close());
  const volunteer = await signedInAs(test.app, 'volunteer');
  const requestId = await requestAllTime(test, volunteer);
  await test.client.get('/certificates');
  const answers = await Promise.all(Array.from({ length: 4 }, () => test.client.post(`/certificates/requests/${requestId}/issue`, { _csrf: test.client.csrfToken })));
  t.same(answers.map((answer) => answer.status).sort(), [303, 409, 409, 409]);
  t.equal(count(test, 'certificates'), 1);
  t.equal(scalar(test, "SELECT count(*) FROM audit_log WHERE action = 'certificate.issue'"), 1);
});
