import { permission } from '../../access/authorize.ts';

/**
 * The permissions of the people features (members, elders, teams). Each
 * domain function checks one of them with `authorize` against the village
 * (region path) of the object it reads or changes.
 */

/** Coordinators, offices and administrators manage members, elders and team memberships in their region subtree. */
export const canManageMembers = permission('members.manage', ['coordinator', 'office', 'admin']);
/** Volunteers (members who sign in) see their own record, set their PIN, ask to join teams, download their data. */
export const canSeeOwnMemberRecord = permission('members.own', ['volunteer']);
/** Offices and administrators found teams and decide on team leaders in their region subtree. */
export const canCreateTeams = permission('teams.create', ['office', 'admin']);
