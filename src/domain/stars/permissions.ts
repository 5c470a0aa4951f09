import { permission } from '../access/authorize.ts';

/** The office of the awarding region (or above it) sees star proposals, publishes notices and resolves objections. */
export const canManageStars = permission('stars.manage', ['office', 'admin']);
/** The star policy page; publishing a version also needs the top office (isTopOffice). */
export const canReadStarPolicy = permission('stars.policy', ['office', 'admin']);
