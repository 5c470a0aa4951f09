import { Form } from '../../../lib/form-schema.ts';
import { memberFieldNames } from '../members/schemas.ts';

/** The shapes of the elder registry's forms and list query (only shapes: the domain says what the values must be). */

/** Days between visits: blank for the default (monthly), or a whole number of days (the domain checks the range). */
const visitInterval = Form.optional(Form.blankOr(Form.integer(0, 99_999), { messageKey: 'people.error.visit_interval_invalid' }));
const categories = Form.optional(Form.list(Form.text(40), 20));

/** An elder's registration. */
export const ElderForm = Form.object({
  idempotency_key: Form.idempotencyKey(),
  real_name: Form.optional(Form.text(200)), id_number: Form.optional(Form.text(40)), phone: Form.optional(Form.text(40)), village_code: Form.optional(Form.text(20)),
  member_card: Form.optional(Form.text(40)), categories, visit_interval_days: visitInterval,
  family_contact_name: Form.optional(Form.text(200)), family_contact_relation: Form.optional(Form.text(100)), family_contact_phone: Form.optional(Form.text(40)),
  consent_given_by: Form.optional(Form.text(20)), consent_given_by_name: Form.optional(Form.text(200)), consent_method: Form.optional(Form.text(20)),
  sensitive_consent: Form.checkbox('yes'),
});

/** An elder's care details on the elder's page. */
export const ElderCareForm = Form.object({
  categories, visit_interval_days: visitInterval,
  family_contact_name: Form.optional(Form.text(200)), family_contact_relation: Form.optional(Form.text(100)), family_contact_phone: Form.optional(Form.text(40)),
  consent_given_by: Form.optional(Form.text(20)), sensitive_consent: Form.checkbox('yes'),
});

/** The page marks the elder form's fields by the domain's names. */
export const elderFieldNames = { ...memberFieldNames, member_card: 'memberId', visit_interval_days: 'visitIntervalDays', family_contact_name: 'familyContactName', family_contact_relation: 'familyContactRelation', family_contact_phone: 'familyContactPhone', consent_given_by: 'consent', consent_given_by_name: 'consent', consent_method: 'consent', sensitive_consent: 'sensitiveConsent' };

export const ElderListQuery = Form.object({
  category: Form.optional(Form.text(40)), village: Form.optional(Form.text(20)), q: Form.optional(Form.text(200)), sensitive: Form.optional(Form.text(10)),
  page: Form.optional(Form.text(20)), closed: Form.optional(Form.text(10)),
});
export const ReasonForm = Form.object({ reason: Form.optional(Form.text(1000)) });
