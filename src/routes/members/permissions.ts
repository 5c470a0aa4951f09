export { canManageMembers, canSeeOwnMemberRecord } from '../../domain/members/permissions.ts';
