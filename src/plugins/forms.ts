import type { FastifyRequest } from 'fastify';
import type { Problem } from '../domain/kernel/outcome.ts';
import type { Translate } from '../i18n/index.ts';
import { HttpProblem } from './http-errors.ts';

/**
 * From refusals to what a form page shows: the one error summary at the top
 * (views/partials/forms/error-summary.eta) and a message beside each field it
 * names (aria-invalid on the field). Domain refusals (`Problem[]`) and shape
 * refusals of a route's TypeBox schema (`shapeProblems`) go through the same
 * `problemsToForm`, so every form shows its mistakes one way.
 */
export interface FormErrors {
  /** Every message in the user's language, in order, for the summary at the top. */
  summary: string[];
  /** The first message for each field the problems name, to show beside that field. */
  byField: Record<string, string>;
  /** The messages that name no field (shown only in the summary). */
  general: string[];
}

export const noErrors: FormErrors = Object.freeze({ summary: [], byField: {}, general: [] }) as FormErrors;

export function problemsToForm(t: Translate, problems: readonly Problem[]): FormErrors {
  const summary: string[] = [];
  const byField: Record<string, string> = {};
  const general: string[] = [];
  for (const problem of problems) {
    const message = t(problem.code, problem.params);
    if (!summary.includes(message)) summary.push(message);
    if (!problem.field) general.push(message);
    else if (!(problem.field in byField)) byField[problem.field] = message;
  }
  return { summary, byField, general };
}

/** An ajv error as Fastify attaches it to `request.validationError.validation`. */
interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
}

type RequestPart = 'body' | 'querystring' | 'params' | 'headers';

/** Generic sentences for a refused shape, when the field's schema names no messageKey. Checked in this order. */
const keyByKeyword: [keyword: string, code: string][] = [
  ['required', 'common.form.required'],
  ['type', 'common.form.wholeNumber'],
  ['maxLength', 'common.form.tooLong'],
  ['minLength', 'common.form.tooShort'],
  ['minimum', 'common.form.tooSmall'],
  ['maximum', 'common.form.tooLarge'],
  ['maxItems', 'common.form.tooMany'],
  ['const', 'common.form.choice'],
];

function fieldOf(error: SchemaError): string {
  if (error.keyword === 'required') return String(error.params.missingProperty ?? '');
  return error.instancePath.split('/')[1] ?? '';
}

/** The problem for one refused field: the most telling of its errors, in the schema's own messageKey or a generic sentence. */
function problemForField(field: string, errors: SchemaError[], partSchema: unknown): Problem {
  const properties = (partSchema as { properties?: Record<string, { messageKey?: string }> } | undefined)?.properties ?? {};
  const own = properties[field]?.messageKey;
  for (const [keyword, generic] of keyByKeyword) {
    const error = errors.find((one) => one.keyword === keyword);
    if (!error) continue;
    // A text field or a list that got the wrong type (a repeated field) is "not valid", not "not a number".
    const code = keyword === 'type' && error.params.type !== 'integer' && error.params.type !== 'number' ? 'common.form.invalid' : generic;
    const limit = error.params.limit;
    // `max` too: the catalogues' own length messages ("备注最多 {max} 个字") name the limit so.
    return typeof limit === 'number' ? { code: own ?? code, field, params: { limit, max: limit } } : { code: own ?? code, field };
  }
  return { code: own ?? 'common.form.invalid', field };
}

/**
 * The problems of a request whose schema refused its shape, one per field in
 * the order the errors came, for `problemsToForm`; [] when the shape was fine.
 * Use it in a route declared with `attachValidation: true` (docs/ARCHITECTURE.md,
 * "How to add a route"). A malformed URL parameter (`/things/abc`) names no
 * form field: it is answered like a missing record, with the 404 page.
 * `pageNames` maps a form field (`duration_minutes`) to the name the page marks
 * it by (`durationMinutes`, the domain's name), where they differ; `notFoundKey`
 * is the sentence of that 404 page (the feature's own "no such record").
 */
export function shapeProblems(request: FastifyRequest, pageNames: Record<string, string> = {}, notFoundKey = 'errors.notFound.message'): Problem[] {
  const refused = request.validationError as (Error & { validation?: SchemaError[]; validationContext?: RequestPart }) | undefined;
  if (!refused) return [];
  const part = refused.validationContext ?? 'body';
  if (part === 'params') throw new HttpProblem(404, notFoundKey);
  const errors = refused.validation ?? [];
  const byField = new Map<string, SchemaError[]>();
  for (const error of errors) {
    const field = fieldOf(error);
    byField.set(field, [...(byField.get(field) ?? []), error]);
  }
  const partSchema = (request.routeOptions.schema as Record<string, unknown> | undefined)?.[part];
  const problems = [...byField].map(([field, fieldErrors]) => ({ ...problemForField(field, fieldErrors, partSchema), field: pageNames[field] ?? field }));
  return problems.length > 0 ? problems : [{ code: 'errors.badRequest.message' }];
}

/**
 * The fields of a form or query as the user typed them (the first value of a
 * repeated field, '' for a missing one), to show again in a refused form. Only
 * for echoing: a handler reads its typed input from `request.body`.
 */
export function typedValues(source: unknown): Record<string, string> {
  const values = Object.create(null) as Record<string, string>;
  if (typeof source !== 'object' || source === null) return values;
  for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string' || typeof first === 'number' || typeof first === 'boolean') values[name] = String(first);
  }
  return values;
}
