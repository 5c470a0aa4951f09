import { test } from 'tap';
import { assert, InvariantError, present } from '../../src/lib/assert.ts';

test('assert passes when the invariant holds and names it when it does not', (t) => {
  t.doesNotThrow(() => assert(1 + 1 === 2, 'arithmetic works'));
  t.throws(() => assert(false, 'a basket has a site'), new InvariantError('invariant broken: a basket has a site'));
  t.throws(() => assert(0, 'zero is falsy'), InvariantError);
  t.end();
});

test('present answers the value itself, and refuses only null and undefined', (t) => {
  t.equal(present(0, 'zero is a value'), 0);
  t.equal(present('', 'an empty text is a value'), '');
  t.equal(present(false, 'false is a value'), false);
  t.throws(() => present(undefined, 'the row exists'), new InvariantError('invariant broken: the row exists'));
  t.throws(() => present(null, 'the row exists'), InvariantError);
  t.end();
});
