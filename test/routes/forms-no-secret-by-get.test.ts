import t from 'tap';
import { secretInUrl } from '../helpers/browser.ts';
import { askers, expected, fillUrl, matrix, matrixApp, send, sidesOf, signInAll } from './access-matrix.ts';

/**
 * No secret in a URL, without a browser: every page of the server (the rows of
 * the authorization matrix), as every role allowed to see it, is rendered and
 * each of its forms read. A form that can be submitted by GET (method="get", or
 * a button with formmethod="get") must hold no PIN, password or CSRF field:
 * a GET submit puts every field of its form into the address bar and history.
 * Fields outside the form that name it (form="id") count as its fields.
 */

interface Control {
  tag: string;
  attributes: string;
}

function attribute(attributes: string, name: string): string | null {
  const match = new RegExp(`(?:^|\\s)${name}(?:=(?:"([^"]*)"|'([^']*)'|([^\\s>]+)))?(?=\\s|$|/)`, 'i').exec(attributes);
  if (!match) return null;
  return match[1] ?? match[2] ?? match[3] ?? '';
}

const controlPattern = /<(input|select|textarea|button)\b([^>]*)>/gi;

/** Each form of a page with its controls, and whether it can be submitted by GET. */
function formsOf(html: string): { action: string; get: boolean; controls: Control[] }[] {
  const forms: { id: string | null; action: string; method: string; controls: Control[] }[] = [];
  for (const [, attributes = '', body = ''] of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const controls = [...body.matchAll(controlPattern)].map((match) => ({ tag: match[1]!.toLowerCase(), attributes: match[2]! }))
      .filter((control) => attribute(control.attributes, 'form') === null);
    forms.push({ id: attribute(attributes, 'id'), action: attribute(attributes, 'action') ?? '', method: (attribute(attributes, 'method') ?? 'get').toLowerCase(), controls });
  }
  for (const match of html.matchAll(controlPattern)) {
    const owner = attribute(match[2]!, 'form');
    const form = owner ? forms.find((candidate) => candidate.id === owner) : undefined;
    if (form) form.controls.push({ tag: match[1]!.toLowerCase(), attributes: match[2]! });
  }
  return forms.map((form) => ({
    action: form.action,
    controls: form.controls,
    get: form.method === 'get' || form.controls.some((control) => (attribute(control.attributes, 'formmethod') ?? '').toLowerCase() === 'get'),
  }));
}

/** Why a control is a secret that must never travel by GET, or null. */
function secretControl(control: Control): string | null {
  const name = attribute(control.attributes, 'name') ?? '';
  if ((attribute(control.attributes, 'type') ?? '').toLowerCase() === 'password') return `password field ${name}`;
  if (/pin|password|passwd|csrf/i.test(name)) return `field ${name}`;
  return null;
}

t.test('the form reader and the URL check catch what the issue found', async (t) => {
  const issuePage = `<form method="post" action="/hours"><input type="hidden" name="_csrf" value="x"><input name="recipient_query">
    <button type="submit" formmethod="get" formaction="/hours/new">查找</button><input name="elder_pin" type="password"></form>`;
  const [form] = formsOf(issuePage);
  t.ok(form!.get, 'a formmethod=get button makes the form a GET form');
  t.same(form!.controls.map(secretControl).filter(Boolean), ['field _csrf', 'password field elder_pin']);
  const split = formsOf(`<form id="s" method="get" action="/hours/new"></form><form method="post" action="/hours"><input type="hidden" name="_csrf" value="x">
    <input name="recipient_query" form="s"><button form="s">查找</button><input name="elder_pin" type="password"></form>`);
  t.same(split.map((f) => ({ get: f.get, names: f.controls.map((c) => attribute(c.attributes, 'name')) })), [
    { get: true, names: ['recipient_query', null] },
    { get: false, names: ['_csrf', 'elder_pin'] },
  ], 'controls that name another form belong to that form');
  t.equal(secretInUrl('/hours/new?_csrf=abc&recipient_query=x&elder_pin=1'), 'query parameter _csrf');
  t.equal(secretInUrl('/hours/new?q=258036'), 'the demo PIN');
  t.equal(secretInUrl('/hours/new?recipient_query=%E6%9D%A8'), null);
});

t.test('no form that can be submitted by GET holds a PIN, password or CSRF field, on any page as any role', async (t) => {
  const { app, db, fixtures } = await matrixApp();
  t.teardown(() => app.close());
  const sessions = await signInAll(app);
  let pages = 0;
  let getForms = 0;
  let secretForms = 0;
  const problems: string[] = [];
  for (const row of matrix.filter((candidate) => candidate.method === 'GET')) {
    for (const asker of askers) {
      for (const side of sidesOf(row)) {
        if (expected(row, asker, side) !== 'allow') continue;
        const url = fillUrl(row, fixtures, side);
        const response = await send(app, db, sessions[asker], 'GET', url);
        if (!String(response.headers['content-type'] ?? '').startsWith('text/html')) continue;
        pages += 1;
        for (const form of formsOf(response.body)) {
          const secrets = form.controls.map(secretControl).filter((why): why is string => why !== null);
          if (secrets.length > 0) secretForms += 1;
          if (!form.get) continue;
          getForms += 1;
          if (secrets.length > 0) problems.push(`${asker} ${url}: GET form to ${form.action} holds ${secrets.join(', ')}`);
        }
      }
    }
  }
  t.ok(pages > 50 && getForms > 5 && secretForms > 20, `read ${pages} pages, ${getForms} GET forms, ${secretForms} forms with secrets`);
  t.same(problems, []);
});
