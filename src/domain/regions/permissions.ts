import { permission } from '../access/authorize.ts';

/** Coordinators, offices and administrators browse the regions of their scope. */
export const canViewRegions = permission('regions.view', ['coordinator', 'office', 'admin']);
/** Only administrators add townships and villages. */
export const canAddRegions = permission('regions.create', ['admin']);
