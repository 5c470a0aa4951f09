import t from 'tap';
import { translator } from '../../src/i18n/index.ts';
import { decimalHours, durationText, minutesFromParts, signedDurationText } from '../../src/lib/duration.ts';

/** Issue 14 item 3: one way to show time, hours and minutes, never decimal hours. */
const zh = translator('zh-CN');
const en = translator('en');

t.test('minutes read as hours and minutes in both languages', async (t) => {
  t.equal(durationText(zh, 1220), '20 小时 20 分');
  t.equal(durationText(zh, 20), '20 分钟');
  t.equal(durationText(zh, 120), '2 小时');
  t.equal(durationText(zh, 0), '0 分钟');
  t.equal(durationText(zh, -90), '-1 小时 30 分');
  t.equal(signedDurationText(zh, 90), '+1 小时 30 分');
  t.equal(durationText(en, 1130), '18 h 50 min');
});

t.test('a message placeholder {name:duration} uses the same formatter', async (t) => {
  t.equal(zh('redemption.error.insufficient_balance', { available: 1130, total: 20 }), '余额不足：可用 18 小时 50 分，需要 20 分钟。');
  t.equal(en('redemption.error.settlement_exceeds', { most: 150 }), 'The amount exceeds the open position: at most 2 h 30 min.');
});

t.test('hours and minutes as typed', async (t) => {
  t.equal(minutesFromParts('1', '30'), 90);
  t.equal(minutesFromParts('', '45'), 45);
  t.equal(minutesFromParts('2', ''), 120);
  t.equal(minutesFromParts('', '90'), 90, 'minutes alone may be 60 or more');
  for (const [hours, minutes] of [['', ''], ['1', '60'], ['1.5', ''], ['-1', ''], ['0', '0'], ['abc', '1'], ['1', '1.5']] as const) {
    t.ok(Number.isNaN(minutesFromParts(hours, minutes)), `"${hours}" h "${minutes}" min is refused`);
  }
});

t.test('decimal hours, for spreadsheets and the decimal-hours form fields only', async (t) => {
  t.equal(decimalHours(90), 1.5);
  t.equal(decimalHours(120), 2);
  t.equal(decimalHours(20), 0.33, 'two places');
  t.equal(decimalHours(0), 0);
  t.equal(decimalHours(-30), -0.5);
});
