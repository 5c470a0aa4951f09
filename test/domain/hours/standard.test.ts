import t from 'tap';
import { firstStandardTypes } from '../../../src/domain/hours/first-standard.ts';
import { readPolicy, updatePolicy } from '../../../src/domain/hours/policy.ts';
import { creditFor, formatCoefficient, isTopOffice, listVersions, parseCoefficient, publishVersion, typeInForce, typesInForce } from '../../../src/domain/hours/standard.ts';
import { count, hoursFixture } from './fixture.ts';

const types = () => firstStandardTypes.map((type) => ({
  code: type.code, nameZh: type.nameZh, nameEn: type.nameEn, category: type.category, coefficient: '1.0',
  maxMinutes: String(type.maxMinutes), recipientRequired: type.recipientRequired, active: true,
}));

t.test('the first standard covers every category with coefficient 1.0', async (t) => {
  const f = hoursFixture();
  const inForce = typesInForce(f.context, '2026-11-23');
  t.equal(inForce.length, firstStandardTypes.length);
  t.ok(inForce.every((type) => type.coefficientMilli === 1000));
  t.equal(new Set(inForce.map((type) => type.category)).size, 12);
  t.equal(typeInForce(f.context, 'visit', '2026-11-23')?.maxMinutes, 120);
  t.equal(typesInForce(f.context, '2025-12-31').length, 0, 'nothing before the first effective date');
});

t.test('only the top office publishes; the date must be after today; rows are checked', async (t) => {
  const f = hoursFixture();
  t.equal(isTopOffice(f.context, f.admin), true);
  t.equal(isTopOffice(f.context, f.countyOffice), false);
  const county = publishVersion(f.context, f.countyOffice, { effectiveDate: '2027-01-01', types: types() });
  t.ok(!county.ok && county.status === 403 && county.problems[0]!.code === 'hours.error.top_office_only');
  const today = publishVersion(f.context, f.admin, { effectiveDate: '2026-11-23', types: types() });
  t.ok(!today.ok && today.problems[0]!.code === 'hours.error.version_date_not_future');
  const bad = publishVersion(f.context, f.admin, {
    effectiveDate: '2027-01-01',
    types: [{ ...types()[0]!, coefficient: 'abc' }, { ...types()[1]!, maxMinutes: '0', category: 'nope' }, { ...types()[0]!, nameZh: '' }],
  });
  t.ok(!bad.ok);
  t.same(!bad.ok && bad.problems.map((p) => p.code).sort(), [
    'hours.error.type_category_invalid', 'hours.error.type_code_duplicate', 'hours.error.type_coefficient_invalid', 'hours.error.type_max_invalid', 'hours.error.type_name_required',
  ]);
  t.equal(listVersions(f.context).length, 1, 'nothing written');
  const good = publishVersion(f.context, f.admin, { effectiveDate: '2027-01-01', types: types().map((type) => type.code === 'visit' ? { ...type, coefficient: '1.2' } : type) });
  t.ok(good.ok);
  t.equal(typeInForce(f.context, 'visit', '2026-12-31')?.coefficientMilli, 1000);
  t.equal(typeInForce(f.context, 'visit', '2027-01-01')?.coefficientMilli, 1200);
  t.equal(count(f.db, 'audit_log') > 0, true, 'publication audited');
});

t.test('coefficients in thousandths; credit is floored', async (t) => {
  t.equal(parseCoefficient('1'), 1000);
  t.equal(parseCoefficient('1.25'), 1250);
  t.equal(parseCoefficient('0.001'), 1);
  t.equal(parseCoefficient('0'), null);
  t.equal(parseCoefficient('1.2345'), null);
  t.equal(parseCoefficient('-1'), null);
  t.equal(formatCoefficient(1250), '1.25');
  t.equal(formatCoefficient(1000), '1.0');
  t.equal(creditFor(7, 1333), 9);
  t.equal(creditFor(60, 1000), 60);
  t.equal(creditFor(1, 500), 0);
});

t.test('policy defaults and updates (top office only, bounded numbers)', async (t) => {
  const f = hoursFixture();
  t.same(readPolicy(f.context), { backdateDays: 30, dailyMaxMinutes: 960, unreviewedExpiryDays: 30, autoApproveCardConfirmed: true });
  const county = updatePolicy(f.context, f.countyOffice, { backdateDays: '10', dailyMaxHours: '8', unreviewedExpiryDays: '10', autoApproveCardConfirmed: false });
  t.ok(!county.ok && county.status === 403);
  const bad = updatePolicy(f.context, f.admin, { backdateDays: 'x', dailyMaxHours: '25', unreviewedExpiryDays: '0', autoApproveCardConfirmed: false });
  t.ok(!bad.ok && bad.problems.length === 3);
  t.ok(updatePolicy(f.context, f.admin, { backdateDays: '10', dailyMaxHours: '8', unreviewedExpiryDays: '14', autoApproveCardConfirmed: false }).ok);
  t.same(readPolicy(f.context), { backdateDays: 10, dailyMaxMinutes: 480, unreviewedExpiryDays: 14, autoApproveCardConfirmed: false });
});

t.test('typeInForce (raw SQL) answers the same row, booleans included, as the drizzle list of the version', async (t) => {
  const f = hoursFixture();
  const date = '2026-11-23';
  const listed = typesInForce(f.context, date);
  t.ok(listed.length > 0);
  for (const type of listed) t.same(typeInForce(f.context, type.code, date), type, `${type.code}: same fields and types`);
  const visit = typeInForce(f.context, 'visit', date);
  t.equal(typeof visit?.recipientRequired, 'boolean');
  t.equal(typeof visit?.active, 'boolean');
  t.equal(typeInForce(f.context, 'no_such_type', date), undefined);
});
