import { permission } from '../access/authorize.ts';

/** Coordinators, offices and administrators manage members in their scope (the domain checks each village). */
export const canManageMembers = permission('members.manage', ['coordinator', 'office', 'admin']);
/** Volunteers (members who sign in) see their own record, set their PIN, ask to join teams, download their data. */
export const canSeeOwnMemberRecord = permission('members.own', ['volunteer']);
