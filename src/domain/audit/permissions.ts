import { permission } from '../access/authorize.ts';

/** Offices read the audit log of their scope; administrators read it all. */
export const canViewAudit = permission('audit.view', ['office', 'admin']);
