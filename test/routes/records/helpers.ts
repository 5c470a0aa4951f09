import { hashPassword } from '../../../src/domain/auth/passwords.ts';
import { insertUser } from '../../../src/domain/auth/users.ts';
import { demoPassword } from '../../../src/domain/demo/seed.ts';
import { TestBrowser, type TestApp } from '../../helpers/web.ts';
import { scalar } from '../hours/helpers.ts';

/** A signed-in office of another county (泸溪县), for the "answers like missing" checks. */
export async function otherCountyOffice(testApp: TestApp): Promise<TestBrowser> {
  insertUser(testApp.db, { phone: '13700000099', displayName: '泸溪老龄办', passwordHash: await hashPassword(demoPassword), mustChangePassword: false, roles: [{ role: 'office', regionCode: '433122' }] }, testApp.clock.now());
  const browser = new TestBrowser(testApp.app);
  const response = await browser.signIn('13700000099', demoPassword);
  if (response.statusCode !== 303) throw new Error(`sign-in failed: ${response.statusCode}`);
  return browser;
}

/** The demo volunteer's member id (王秀英). */
export function volunteerMemberId(testApp: TestApp): number {
  return scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
}

/** The volunteer asks for all time; answers the request id. */
export async function requestAllTime(testApp: TestApp, volunteer: TestBrowser): Promise<number> {
  await volunteer.get('/certificates/new');
  const response = await volunteer.post('/certificates/requests', { period: 'all', from: '', to: '' });
  if (response.statusCode !== 303) throw new Error(`request failed: ${response.statusCode} ${response.body.slice(0, 400)}`);
  return scalar(testApp, 'SELECT max(id) FROM certificate_requests');
}

/** A 1x1 PNG. */
export const tinyPng = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/** A multipart body with the CSRF token, a county and one file field. */
export function sealUpload(browser: TestBrowser, data: Buffer, fileName = 'seal.png', county = '433123') {
  const boundary = '----records-test-boundary';
  const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const payload = Buffer.concat([
    Buffer.from(part('_csrf', browser.csrfToken) + part('county', county)),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="seal"; filename="${fileName}"\r\nContent-Type: image/png\r\n\r\n`),
    data, Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return browser.request({ method: 'POST', url: '/certificates/seal', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
}
