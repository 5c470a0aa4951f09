import t from 'tap';
import { isWorkingDay, nextWorkingDay, noticePeriod } from '../../src/lib/working-days.ts';

t.test('weekends are not working days', async (t) => {
  t.equal(isWorkingDay('2026-12-04'), true, 'Friday');
  t.equal(isWorkingDay('2026-12-05'), false, 'Saturday');
  t.equal(isWorkingDay('2026-12-06'), false, 'Sunday');
  t.equal(isWorkingDay('2026-12-07'), true, 'Monday');
  t.equal(nextWorkingDay('2026-12-04'), '2026-12-07', 'Friday -> Monday');
  t.equal(nextWorkingDay('2026-12-05'), '2026-12-07', 'Saturday -> Monday');
});

t.test('a notice starts the next working day and counts only working days', async (t) => {
  t.same(noticePeriod('2026-11-23', 5), { startDate: '2026-11-24', endDate: '2026-11-30' }, 'Monday: Tuesday to next Monday');
  t.same(noticePeriod('2026-11-27', 5), { startDate: '2026-11-30', endDate: '2026-12-04' }, 'Friday: next Monday to Friday, across the month end');
  t.same(noticePeriod('2026-11-28', 5), { startDate: '2026-11-30', endDate: '2026-12-04' }, 'published on a Saturday');
  t.same(noticePeriod('2026-12-29', 5), { startDate: '2026-12-30', endDate: '2027-01-05' }, 'across the year end and a weekend');
  t.same(noticePeriod('2027-02-26', 3), { startDate: '2027-03-01', endDate: '2027-03-03' }, 'February end (not a leap year)');
  t.same(noticePeriod('2028-02-28', 2), { startDate: '2028-02-29', endDate: '2028-03-01' }, 'leap day counts');
  t.same(noticePeriod('2026-12-02', 1), { startDate: '2026-12-03', endDate: '2026-12-03' }, 'one working day');
  t.throws(() => noticePeriod('2026-12-02', 0), 'zero days is a programming error');
});

t.test('the period holds for every day of a year: N working days, none on a weekend', async (t) => {
  let date = '2026-01-01';
  for (let i = 0; i < 366; i += 1) {
    const { startDate, endDate } = noticePeriod(date, 5);
    let counted = 0;
    for (let day = startDate; day <= endDate; day = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)) {
      if (isWorkingDay(day)) counted += 1;
    }
    if (counted !== 5 || startDate <= date || !isWorkingDay(startDate) || !isWorkingDay(endDate)) t.fail(`${date}: ${startDate}..${endDate}`);
    date = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  }
  t.pass('checked 366 publication days');
});
