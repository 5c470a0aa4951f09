import { Form } from '../../lib/form-schema.ts';

/**
 * The shapes of the people pages' forms, queries and URL parameters (members,
 * elders, teams), for their route schemas. Only shapes: what a name, an ID
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

/** Founding a team. */
export const TeamForm = Form.object({
  idempotency_key: Form.idempotencyKey(), name: Form.optional(Form.text(200)), sponsor_unit: Form.optional(Form.text(200)),
  sponsor_kind: Form.optional(Form.text(40)), region_code: Form.optional(Form.text(20)),
});
export const TeamFieldNames = { sponsor_unit: 'sponsorUnit', sponsor_kind: 'sponsorKind', region_code: 'regionCode' };
export const TeamsQuery = Form.object({ sponsor: Form.optional(Form.text(200)) });
export const TeamPageQuery = Form.object({ done: Form.optional(Form.text(20)) });
export const MembershipParams = Form.object({ id: Form.id(), membershipId: Form.id() });
export const TeamMemberForm = Form.object({ idempotency_key: Form.idempotencyKey(), card_number: Form.optional(Form.text(40)) });
export const TeamDecisionForm = Form.object({ decision: Form.optional(Form.oneOf(['approve', 'decline'])), reason: Form.optional(Form.text(1000)) });
export const LeaderForm = Form.object({ member_id: Form.optional(Form.optionalId({ messageKey: 'people.error.leader_not_member' })) });
export const ActivityForm = Form.object({
  idempotency_key: Form.idempotencyKey(), activity_date: Form.optional(Form.text(20)), place: Form.optional(Form.text(200)), theme: Form.optional(Form.text(200)),
});
