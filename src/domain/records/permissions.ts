import { permission } from '../access/authorize.ts';

/** Staff ask for a certificate on behalf of a member in their scope (a member without a phone). */
export const canRequestForMembers = permission('records.request_for_member', ['coordinator', 'office', 'admin']);
/** Issuing, declining and revoking certificates, and the seal: an ageing office at county level (offices.ts). */
export const canIssueCertificates = permission('records.issue', ['office']);
/** The national data export of a region. */
export const canExportRecords = permission('records.export', ['office', 'admin']);
