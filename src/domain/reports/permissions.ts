import { permission } from '../access/authorize.ts';

/** Offices and administrators read the reports of their region subtree. */
export const canViewReports = permission('reports.view', ['office', 'admin']);
/** Coordinators also see visit coverage and overdue elders of their area. */
export const canViewVisitCoverage = permission('reports.visits', ['coordinator', 'office', 'admin']);
/** The top office (the administrator of the province) edits the plan targets. */
export const canEditTargets = permission('reports.targets', ['admin']);
