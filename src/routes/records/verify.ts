import { verifyCertificate } from '../../domain/records/views.ts';
import { Form } from '../../lib/form-schema.ts';
import { formatDateTime } from '../../lib/time.ts';
import { shapeProblems } from '../../plugins/forms.ts';
import { refusalPage } from '../../plugins/http-errors.ts';
import type { RouteApp } from '../../plugins/route-options.ts';

/** The address's number: anything not shaped like one is answered like an unknown number (404). */
const VerifyParams = Form.object({ number: Form.text(40) });

/** Public pages are rate-limited per address; a certificate is checked a few times, not hundreds. */
export const verifyRateLimit = { max: 60, timeWindow: 60_000 };

/**
 * /verify/<number>: public, no sign-in (the QR code on a printed certificate).
 * A malformed, unknown or forged number answers 404; a stored certificate that
 * no longer matches its signature says so (签名不符).
 */
export function registerVerifyRoutes(app: RouteApp): void {
  app.get('/verify/:number', { schema: { params: VerifyParams }, attachValidation: true, config: { public: true, rateLimit: verifyRateLimit } }, async (request, reply) => {
    shapeProblems(request, {}, 'records.error.certificate_not_found');
    const result = verifyCertificate(app.db, app.checkpointKeys, request.params.number.trim().toUpperCase());
    if (!result.ok) refusalPage(result);
    return reply.page('pages/records/verify', { verified: result.value, formatDateTime }, { titleKey: 'records.verify.title' });
  });
}
