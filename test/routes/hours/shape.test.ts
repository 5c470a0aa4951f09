import t from 'tap';
import { signedInAs, visibleText, type TestApp } from '../../helpers/web.ts';
import { createHoursApp, visitForm, written } from './helpers.ts';

/**
 * Shape refusals of the hours log form (its TypeBox schema, src/routes/hours/log.ts):
 * the form page comes back in Chinese with the field marked, never Fastify's
 * English JSON 400, and nothing is written.
 */

/** The log form with a duration instead of an end time (the shape tests change one field of it). */
function durationForm(app: TestApp, overrides: Record<string, string> = {}): Record<string, string> {
  return visitForm(app, { end_time: '', duration_minutes: '60', ...overrides });
}

t.test('minutes that are not a number, an over-long note, a malformed recipient: the form again, marked, nothing written', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  const before = written(testApp);

  const minutes = await volunteer.post('/hours', durationForm(testApp, { duration_minutes: 'abc' }));
  t.equal(minutes.statusCode, 422);
  t.match(String(minutes.headers['content-type']), /^text\/html/);
  t.match(visibleText(minutes.body), '没有保存，请按下面的提示修改。', 'the summary, in Chinese');
  t.match(minutes.body, /id="duration_minutes"[^>]*aria-invalid="true" aria-describedby="duration-error"/, 'the minutes box is marked');
  t.match(minutes.body, /<p class="field-error" id="duration-error">时长请填 1 以上的整数分钟。<\/p>/, 'its message beside it');
  t.match(minutes.body, /value="abc"/, 'what was typed is shown again');
  t.match(minutes.body, /<input type="hidden" name="idempotency_key" value="[0-9a-f-]{36}">/);

  const note = await volunteer.post('/hours', durationForm(testApp, { note: '长'.repeat(201) }));
  t.equal(note.statusCode, 422);
  t.match(note.body, /id="note"[^>]*aria-invalid="true" aria-describedby="note-error"/, 'the note is marked');
  t.match(note.body, /<p class="field-error" id="note-error">备注最多 200 个字。<\/p>/, 'the limit is named');

  const recipient = await volunteer.post('/hours', durationForm(testApp, { elder_id: 'x1', duration_minutes: '1.5' }));
  t.equal(recipient.statusCode, 422);
  t.match(recipient.body, /<p class="field-error" id="elder-error">[^<]*老人[^<]*<\/p>/, 'the recipient is marked');
  t.match(recipient.body, /id="duration_minutes"[^>]*aria-invalid="true"/, 'and the minutes too: every refused field is marked');

  t.same(written(testApp), before, 'no record, no transfer');
});

t.test('a repeated field is a shape refusal too, answered by the form', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  const before = written(testApp);
  const body = new URLSearchParams({ _csrf: volunteer.csrfToken, ...durationForm(testApp) });
  body.append('duration_minutes', '30');
  const response = await volunteer.request({ method: 'POST', url: '/hours', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
  t.equal(response.statusCode, 422);
  t.match(response.body, /id="duration_minutes"[^>]*aria-invalid="true"/);
  t.same(written(testApp), before);
});
