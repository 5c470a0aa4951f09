import { Form } from '../../../lib/form-schema.ts';

/**
 * The shapes of the members pages' forms, queries and URL parameters, for
 * their route schemas (the elders and teams pages have theirs beside them). Only shapes: what a name, an ID
 * number or a village must be is the domain's to say, in its own words; the
 * lengths here are generous bounds above the domain's.
 */

/** Member registration, by staff and on the public /join page. */
export const MemberForm = Form.object({
  idempotency_key: Form.idempotencyKey(),
  // A field the form always sends; missing, it is marked "这一项必须填写"; empty, the domain says what it needs.
  real_name: Form.text(200),
  id_number: Form.text(40),
  phone: Form.optional(Form.text(40)),
  village_code: Form.text(20),
  consent: Form.checkbox('yes', { messageKey: 'members.join.consentRequired' }),
});

/** The page marks fields by the domain's names. */
export const memberFieldNames = { real_name: 'realName', id_number: 'idNumber', village_code: 'villageCode' };

export const MemberListQuery = Form.object({
  q: Form.optional(Form.text(200)), status: Form.optional(Form.text(20)), page: Form.optional(Form.text(20)), reviewed: Form.optional(Form.text(20)),
});

export const ReviewForm = Form.object({ decision: Form.optional(Form.oneOf(['approve', 'reject'])), reason: Form.optional(Form.text(1000)) });
export const StatusForm = Form.object({ action: Form.optional(Form.oneOf(['suspend', 'reactivate'])), reason: Form.optional(Form.text(1000)) });
export const StaffPinForm = Form.object({ pin: Form.optional(Form.text(20)), pin_confirm: Form.optional(Form.text(20)), card: Form.optional(Form.text(300)) });
export const OwnPinForm = Form.object({ pin: Form.optional(Form.text(20)), pin_confirm: Form.optional(Form.text(20)), current_pin: Form.optional(Form.text(20)) });
export const SignInForm = Form.object({ phone: Form.optional(Form.text(40)), temporary_password: Form.optional(Form.text(200)) });
export const ExportForm = Form.object({ export_reason: Form.optional(Form.text(1000)) });
export const KeyOnlyForm = Form.object({ idempotency_key: Form.idempotencyKey() });

/** Member ids for an A4 sheet of cards: `?ids=12,15,40`. */
export const CardSheetQuery = Form.object({
  ids: Form.optional(Form.text(1000, { pattern: '^\\s*[1-9][0-9]{0,9}(\\s*,\\s*[1-9][0-9]{0,9})*\\s*$' })),
  reissued: Form.optional(Form.text(10)),
});
export const PageNoticeQuery = Form.object({ done: Form.optional(Form.text(20)), registered: Form.optional(Form.text(10)), approved: Form.optional(Form.text(10)), reissued: Form.optional(Form.text(10)) });
export const TeamIdParams = Form.object({ teamId: Form.id() });
export const TokenParams = Form.object({ token: Form.text(200) });
