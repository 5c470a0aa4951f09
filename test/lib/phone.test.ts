import { test } from 'tap';
import { maskPhone } from '../../src/lib/mask.ts';
import { compactPhone, isMobileOrLandline, isMobilePhone, normalizePhone } from '../../src/lib/phone.ts';

// src/lib/phone.ts is the one reading of a typed phone (sign-in, accounts,
// counter, members, elders).

test('compactPhone: as typed to digits, null when blank', (t) => {
  t.equal(compactPhone('138 0000 1234'), '13800001234');
  t.equal(compactPhone('１３８－００００－１２３４'), '13800001234', 'full-width digits and dash');
  t.equal(compactPhone('138\u30000000\u30001234'), '13800001234', 'ideographic spaces');
  t.equal(compactPhone('+86 13800001234'), '13800001234');
  t.equal(compactPhone('8613800001234'), '13800001234');
  t.equal(compactPhone('0731-8123456'), '07318123456', 'a landline keeps its area code');
  t.equal(compactPhone('12345'), '12345', 'not a number yet: the check below refuses it');
  t.equal(compactPhone('  '), null);
  t.equal(compactPhone(''), null);
  t.equal(compactPhone(null), null);
  t.equal(compactPhone(undefined), null);
  t.end();
});

test('the checks: mobile, or mobile or landline', (t) => {
  t.ok(isMobilePhone('13800001234'));
  t.notOk(isMobilePhone('12800001234'), '12x is no mobile prefix');
  t.notOk(isMobilePhone('07318123456'));
  t.ok(isMobileOrLandline('13800001234'));
  t.ok(isMobileOrLandline('07318123456'));
  t.notOk(isMobileOrLandline('12345'));
  t.end();
});

test('normalizePhone: a mobile number or null; maskPhone hides the middle', (t) => {
  t.equal(normalizePhone('＋８６ １３８００００１２３４'), '13800001234');
  t.equal(normalizePhone('0731-8123456'), null, 'sign-in phones are mobiles');
  t.equal(normalizePhone(''), null);
  t.equal(maskPhone('13800001234'), '138****1234');
  t.equal(maskPhone('07318123456'), '073****3456');
  t.equal(maskPhone('123'), '***');
  t.end();
});
