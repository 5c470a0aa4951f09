import { permission } from '../access/authorize.ts';

/** A volunteer logs their own hours. */
export const canLogOwnHours = permission('hours.log_own', ['volunteer']);
/** Staff log hours for members without a phone, in their scope. */
export const canLogForMembers = permission('hours.log_for_member', ['coordinator', 'office', 'admin']);
/** The verification queue: approve, reject, reverse. */
export const canVerifyHours = permission('hours.verify', ['coordinator', 'office', 'admin']);
/** Visit coverage of registered elders. */
export const canViewCoverage = permission('hours.coverage', ['coordinator', 'office', 'admin']);
/** Open and close activity sign-in (team leaders too, checked separately). */
export const canRunActivities = permission('hours.activities', ['coordinator', 'office', 'admin']);
/** The standard and the policy; publishing also needs the top region (see standard.ts). */
export const canManageStandard = permission('hours.standard', ['office', 'admin']);
/** Anyone signed in may read the standard in force. */
export const canReadStandard = permission('hours.standard_read', ['volunteer', 'coordinator', 'clerk', 'office', 'admin']);
