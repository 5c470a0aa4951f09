import { permission } from '../../access/authorize.ts';

/** Coordinators and offices import rosters for villages in their scope (each row is checked against it). */
export const canImportRosters = permission('import.roster', ['coordinator', 'office', 'admin']);
