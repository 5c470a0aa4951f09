/**
 * Invariants, asserted rather than assumed (TigerBeetle's TIGER_STYLE: assert
 * the positive space you expect and the negative space you do not).
 *
 * A non-null assertion (`value!`) silences the type checker and lets a broken
 * assumption travel on as `undefined` until something far away fails. `assert`
 * stops at the broken assumption and names it. Use it only for what cannot
 * happen when the code is right (a row this transaction has just written, an
 * account every member has); where a user can make a value missing (an id in a
 * URL, a deleted record), check it and answer like a missing object instead.
 */

/** Thrown when an invariant does not hold: a defect in the code, never a user error. */
export class InvariantError extends Error {
  override name = 'InvariantError';
}

/** Throws an InvariantError naming the invariant unless `condition` holds; narrows like an `if`. */
export function assert(condition: unknown, invariant: string): asserts condition {
  if (!condition) throw new InvariantError(`invariant broken: ${invariant}`);
}

/** The value, asserted neither null nor undefined (for expressions, where `assert` needs a statement). */
export function present<T>(value: T, invariant: string): NonNullable<T> {
  assert(value !== undefined && value !== null, invariant);
  return value;
}
