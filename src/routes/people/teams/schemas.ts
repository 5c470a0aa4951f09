import { Form } from '../../../lib/form-schema.ts';

/** The shapes of the teams pages' forms, queries and URL parameters (only shapes: the domain says what the values must be). */

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
