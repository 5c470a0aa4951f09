import t from 'tap';
import { askers, fillUrl, matrix, matrixApp, send, signInAll, sidesOf, type Asker } from './access-matrix.ts';
import { unzipEntries } from '../helpers/zip.ts';

/**
 * Issue 12 item 4: ID numbers and phones leave the server only masked. Every
 * GET route of the access matrix is asked, as every signed-in role, about
 * both the home and the away object, and no answer (HTML, CSV, JSON, or the
 * XML inside an .xlsx) may hold an 18-character ID number or an 11-digit
 * mobile. The one exception is the member's own copy (/members/me/export),
 * which is the member's right under PIPL art. 45.
 */
const idNumber = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/;
const mobile = /(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])/;

const { app, db, fixtures } = await matrixApp();
t.teardown(() => app.close());
const sessions = await signInAll(app);

/** The text of an answer: the body, or for a workbook every XML part inside it. */
function textsOf(body: Buffer, contentType: string): string[] {
  if (contentType.includes('spreadsheetml') || (body[0] === 0x50 && body[1] === 0x4b)) {
    return [...unzipEntries(body)].filter(([name]) => name.endsWith('.xml')).map(([, data]) => data.toString('utf8'));
  }
  return [body.toString('utf8')];
}

const ownCopy = new Set(['/members/me/export']);

t.test('no answer to any GET route, as any role, holds a whole ID number or phone', async (t) => {
  const leaks: string[] = [];
  let asked = 0;
  let workbooks = 0;
  const staff: Asker[] = askers.filter((asker) => asker !== 'anonymous');
  for (const row of matrix.filter((candidate) => candidate.method === 'GET')) {
    for (const asker of staff) {
      for (const side of sidesOf(row)) {
        const url = fillUrl(row, fixtures, side);
        if (ownCopy.has(url)) continue;
        const response = await send(app, db, sessions[asker], 'GET', url);
        asked += 1;
        const contentType = String(response.headers['content-type'] ?? '');
        if (contentType.includes('spreadsheetml')) workbooks += 1;
        for (const text of textsOf(response.rawPayload, contentType)) {
          const id = idNumber.exec(text);
          const phone = mobile.exec(text);
          if (id) leaks.push(`${asker} GET ${url}: ID number ${id[0].slice(0, 6)}… in ${contentType}`);
          if (phone) leaks.push(`${asker} GET ${url}: phone ${phone[0].slice(0, 3)}… in ${contentType}`);
        }
      }
    }
  }
  // Lists with filters and searches the bare routes do not show (searching by a phone's last four digits included).
  const extras = ['/members?q=%E7%8E%8B', '/members?q=0001', '/members?status=pending', '/members?status=suspended', '/elders?q=%E9%BE%99', '/accounts?q=138', '/accounts?role=volunteer', '/hours/queue?status=pending', '/gifts?done=1', '/requests?all=1', '/audit'];
  for (const url of extras) {
    for (const asker of staff) {
      const response = await send(app, db, sessions[asker], 'GET', url);
      asked += 1;
      const text = response.body;
      if (idNumber.test(text)) leaks.push(`${asker} GET ${url}: an ID number`);
      if (mobile.test(text)) leaks.push(`${asker} GET ${url}: a phone`);
    }
  }
  t.ok(asked > 300, `asked ${asked} times`);
  t.ok(workbooks > 0, 'some answers were workbooks, and their XML was read');
  t.same(leaks, [], 'no whole ID number or phone in any answer');
});
