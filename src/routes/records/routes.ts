import type { RoutePlugin } from '../../plugins/route-options.ts';
import { registerCertificateRoutes } from './certificates.ts';
import { registerExportRoutes } from './export.ts';
import { registerVerifyRoutes } from './verify.ts';

/** Volunteer records (docs/RECORDS.md): certificates, their public verification, the national data export. */
const recordsRoutes: RoutePlugin = async (app) => {
  registerCertificateRoutes(app);
  registerVerifyRoutes(app);
  registerExportRoutes(app);
};
export default recordsRoutes;
