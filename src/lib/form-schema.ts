import { Type, type Static, type TLiteral, type TSchema } from 'typebox';

/**
 * The shapes of form fields, URL parameters and query strings, as TypeBox
 * schemas a route declares (`schema: { body, querystring, params }`). Fastify's
 * ajv checks them before the handler runs and coerces text to numbers, so the
 * handler gets typed input; a field that does not fit is answered by the form
 * page itself, in the user's language (src/plugins/forms.ts, docs/ARCHITECTURE.md
 * "How to add a route"). Only the shape lives here: a number, a length, one of
 * a few words. Rules that depend on data or policy stay in the domain.
 *
 * Every helper takes an optional `messageKey`: the i18n key shown next to the
 * field when its shape is refused (otherwise a generic sentence for the kind
 * of mistake: missing, not a whole number, too long...). Field names are the
 * form's own (`duration_minutes`), the ones the page marks.
 */
export interface FieldOptions {
  /** The i18n key shown when this field is refused (src/i18n/<locale>/<area>.json). */
  messageKey?: string;
}

function annotate(options: FieldOptions | undefined): Record<string, string> {
  return options?.messageKey ? { messageKey: options.messageKey } : {};
}

/** Text of at most `maxLength` characters (a form sends '' for an empty box). */
function text(maxLength: number, options?: FieldOptions & { minLength?: number; pattern?: string }) {
  return Type.String({ maxLength, ...(options?.minLength ? { minLength: options.minLength } : {}), ...(options?.pattern ? { pattern: options.pattern } : {}), ...annotate(options) });
}

/** A whole number in [minimum, maximum], typed as digits. */
function integer(minimum: number, maximum: number, options?: FieldOptions) {
  return Type.Integer({ minimum, maximum, ...annotate(options) });
}

/** A database id (a positive whole number) in a URL parameter, a hidden field or a select. */
function id(options?: FieldOptions) {
  return Type.Integer({ minimum: 1, maximum: 9_999_999_999, ...annotate(options) });
}

/** A field that may be left empty: '' or a value of `schema` (a number box that is optional). */
function blankOr<Schema extends TSchema>(schema: Schema, options?: FieldOptions) {
  return Type.Union([Type.Literal(''), schema], annotate(options));
}

/** An id chosen in a select that may be left on its empty choice: '' or a positive whole number. */
function optionalId(options?: FieldOptions) {
  return blankOr(id(), options);
}

/** One of a few words (a radio group, a select of fixed choices). */
function oneOf<const Words extends readonly [string, ...string[]]>(words: Words, options?: FieldOptions) {
  // One tuple member stands for all of them: the static type is the union of the words.
  return Type.Union(words.map((word) => Type.Literal(word)) as unknown as [TLiteral<Words[number]>], annotate(options));
}

/** A checkbox that is either ticked (sent with `value`) or absent. */
function checkbox(value = '1', options?: FieldOptions) {
  return Type.Optional(Type.Literal(value, annotate(options)));
}

/** A repeated field (a checkbox list): one value or several arrive as a list. */
function list<Item extends TSchema>(item: Item, maxItems = 100) {
  return Type.Array(item, { maxItems });
}

/**
 * The hidden idempotency key of a form that creates something: any text, so a
 * missing or malformed key reaches the route, which refuses it with the form
 * and a fresh key (readIdempotencyKey in src/lib/forms.ts) instead of a generic error.
 */
function idempotencyKey() {
  return Type.Optional(Type.String({ maxLength: 64 }));
}

export const Form = {
  text,
  integer,
  id,
  optionalId,
  blankOr,
  oneOf,
  checkbox,
  list,
  idempotencyKey,
  /** A form or query whose fields are listed; fields not listed are kept as sent (the CSRF token among them). */
  object: Type.Object,
  optional: Type.Optional,
};

/** The schema of `:id` in a URL; a malformed id is answered like a missing record (404). */
export const IdParams = Type.Object({ id: Form.id() });

export type { Static };
