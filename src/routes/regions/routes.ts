import type { FastifyReply, FastifyRequest } from 'fastify';
import { pageOf, parentToAddUnder, regionPage, regionRoots } from '../../domain/regions/region-pages.ts';
import { addChildRegion, type FieldErrors, type NewRegionInput, type Region } from '../../domain/regions/regions.ts';
import { Form } from '../../lib/form-schema.ts';
import { shapeProblems, typedValues } from '../../plugins/forms.ts';
import { refusalPage } from '../../plugins/http-errors.ts';
import type { RoutePlugin } from '../../plugins/route-options.ts';

/** A region's address: its code of 6, 9 or 12 digits (another is a missing region: the 404 page). */
const RegionParams = Form.object({ code: Form.text(12, { pattern: '^\\d{6}(\\d{3}){0,2}$' }) });
const RegionQuery = Form.object({ added: Form.optional(Form.text(20)) });
/** A new township or village; the domain checks the code against the parent, the names and the kind. */
const NewRegionForm = Form.object({
  code: Form.optional(Form.text(12, { messageKey: 'regions.error.codeFormat' })),
  name_zh: Form.optional(Form.text(40, { messageKey: 'regions.error.nameTooLong' })),
  name_en: Form.optional(Form.text(80, { messageKey: 'regions.error.nameTooLong' })),
  kind: Form.optional(Form.text(20, { messageKey: 'regions.error.kindRequired' })),
});
const regionPageNames = { name_zh: 'nameZh', name_en: 'nameEn' };

const regionsRoutes: RoutePlugin = async (app) => {
  async function showRegion(
    request: FastifyRequest,
    reply: FastifyReply,
    region: Region,
    form: { values: NewRegionInput; errors: FieldErrors } | null,
    status = 200,
  ) {
    const { ancestors, children, nextLevel, canAdd } = pageOf(app.db, request.requireUser().actor, region);
    return reply.page(
      'pages/regions/show',
      {
        region,
        ancestors,
        children,
        nextLevel,
        canAdd,
        form: form ?? { values: { code: region.code, nameZh: '', nameEn: '', kind: '' }, errors: {} },
        added: typedValues(request.query).added ?? null,
      },
      { titleKey: 'regions.show.title', titleVariables: { name: request.locale === 'en' && region.nameEn ? region.nameEn : region.nameZh }, status },
    );
  }

  app.get('/regions', async (request, reply) => {
    const outcome = regionRoots(app.db, request.requireUser().actor);
    if (!outcome.ok) refusalPage(outcome);
    const roots = outcome.value;
    if (roots.length === 1 && roots[0]) return reply.seeOther(`/regions/${roots[0].code}`);
    return reply.page('pages/regions/index', { roots }, { titleKey: 'regions.title' });
  });

  app.get('/regions/:code', { schema: { params: RegionParams, querystring: RegionQuery }, attachValidation: true }, async (request, reply) => {
    shapeProblems(request, {}, 'regions.error.notFound'); // a malformed code: the 404 page; an odd query is ignored
    const outcome = regionPage(app.db, request.requireUser().actor, request.params.code);
    if (!outcome.ok) refusalPage(outcome);
    return showRegion(request, reply, outcome.value.region, null);
  });

  app.post('/regions/:code/children', { schema: { params: RegionParams, body: NewRegionForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request, regionPageNames, 'regions.error.notFound');
    const user = request.requireUser();
    const found = parentToAddUnder(app.db, user.actor, request.params.code);
    if (!found.ok) refusalPage(found);
    const parent = found.value;
    const typed = typedValues(request.body);
    const values: NewRegionInput = { code: typed.code ?? '', nameZh: typed.name_zh ?? '', nameEn: typed.name_en ?? '', kind: typed.kind ?? '' };
    if (shape.length > 0) return showRegion(request, reply, parent, { values, errors: Object.fromEntries(shape.map((problem) => [problem.field, problem.code])) }, 422);
    const result = addChildRegion(app.db, user.actor, parent, values, request.ip, app.clock());
    if (!result.ok && 'status' in result) refusalPage(result);
    if (!result.ok) return showRegion(request, reply, parent, { values, errors: result.errors }, 422);
    return reply.seeOther(`/regions/${parent.code}?added=${result.region.code}`);
  });
};
export default regionsRoutes;
