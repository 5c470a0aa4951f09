import { connectionOf } from '../../db/client.ts';
import { authorize, type Actor } from '../access/authorize.ts';
import { recordAudit } from '../audit/audit.ts';
import { nowOf, type KeylessContext } from '../kernel/context.ts';
import { failure, success, type Outcome, type Problem } from '../kernel/outcome.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { isMessageKind, messageKindNames, messageKinds, type MessageKind } from './events.ts';
import { canEditSmsTemplates } from './permissions.ts';
import {
  defaultSignature, defaultSmsTemplate, longestRendering, maximumSegments, partSegmentChars, segmentsOf, signatureKind, smsTemplateOf,
} from './sms-text.ts';

/**
 * The SMS templates the top office edits (one per message kind) and the
 * network signature. A template may use only its kind's placeholders, and
 * its longest rendering (every value at its limit, signature included) must
 * fit in `maximumSegments` SMS segments; a blank template goes back to the
 * catalogue's default.
 */
export const longestChars = maximumSegments * partSegmentChars;
const signaturePattern = /^【[^【】]{2,8}】$/u;

export interface TemplateRow {
  kind: MessageKind;
  body: string;
  placeholders: string[];
  longest: number;
  segments: number;
}

export interface TemplatesPage {
  signature: string;
  templates: TemplateRow[];
  longestChars: number;
}

const forbidden = () => failure(403, { code: 'errors.forbidden.message' });

export function smsTemplatesPage(context: KeylessContext, actor: Actor): Outcome<TemplatesPage> {
  if (!authorize(actor, canEditSmsTemplates)) return forbidden();
  const connection = connectionOf(context.db);
  const signature = smsTemplateOf(connection, signatureKind);
  const templates = messageKindNames.map((kind) => {
    const body = smsTemplateOf(connection, kind);
    const longest = longestRendering(body, messageKinds[kind].smsParams, signature);
    return { kind, body, placeholders: Object.keys(messageKinds[kind].smsParams), longest, segments: segmentsOf(longest) };
  });
  return success({ signature, templates, longestChars });
}

/** Why a template cannot be saved, or null. */
export function templateProblem(kind: MessageKind, body: string, signature: string): Problem | null {
  const limits = messageKinds[kind].smsParams;
  const unknown = [...body.matchAll(/\{([^}]*)\}/g)].map((match) => match[1] ?? '').find((name) => !Object.hasOwn(limits, name));
  if (unknown !== undefined) return { code: 'messages.error.unknown_placeholder', field: 'body', params: { name: unknown, allowed: Object.keys(limits).map((n) => `{${n}}`).join(' ') } };
  const longest = longestRendering(body, limits, signature);
  if (segmentsOf(longest) > maximumSegments) return { code: 'messages.error.too_long', field: 'body', params: { longest, max: longestChars, segments: maximumSegments } };
  return null;
}

/** Saves one template (or, for 'signature', the signature); blank means the default. */
export function saveSmsTemplate(context: KeylessContext, actor: Actor, kind: string, bodyText: string): Outcome<{ kind: string }> {
  if (!authorize(actor, canEditSmsTemplates)) return forbidden();
  if (kind !== signatureKind && !isMessageKind(kind)) return failure(404, { code: 'messages.error.template_not_found' });
  const connection = connectionOf(context.db);
  const body = bodyText.trim();
  const problem = kind === signatureKind ? signatureProblem(connection, body || defaultSignature) : templateProblem(kind, body || defaultSmsTemplate(kind), smsTemplateOf(connection, signatureKind));
  if (problem) return failure(422, problem);
  const at = nowOf(context);
  writeTransaction(connection, () => {
    if (body === '') connection.prepare('DELETE FROM sms_templates WHERE kind = ?').run(kind);
    else connection.prepare(`INSERT INTO sms_templates (kind, body, updated_by_user_id, updated_at_ms) VALUES (?, ?, ?, ?)
                             ON CONFLICT (kind) DO UPDATE SET body = excluded.body, updated_by_user_id = excluded.updated_by_user_id, updated_at_ms = excluded.updated_at_ms`).run(kind, body, actor.userId, at);
    recordAudit(connection, { action: 'messages.template', actorUserId: actor.userId, objectType: 'sms_template', objectId: kind, detail: { body: body || null } }, at);
  });
  return success({ kind });
}

/** A signature is 【…】 with 2 to 8 characters inside, and every template must still fit with it. */
function signatureProblem(connection: ReturnType<typeof connectionOf>, signature: string): Problem | null {
  if (!signaturePattern.test(signature)) return { code: 'messages.error.signature_shape', field: 'body' };
  for (const kind of messageKindNames) {
    const problem = templateProblem(kind, smsTemplateOf(connection, kind), signature);
    if (problem) return { code: 'messages.error.signature_too_long', field: 'body', params: { kind } };
  }
  return null;
}
