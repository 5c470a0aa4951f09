import type { FastifyReply, FastifyRequest } from 'fastify';
import { authorize, regionScopes } from '../../domain/access/authorize.ts';
import { addChildRegion, ancestorsOf, childLevel, childrenOf, findRegion, type FieldErrors, type NewRegionInput, type Region } from '../../domain/regions/regions.ts';
import { Form } from '../../lib/form-schema.ts';
import { shapeProblems, typedValues } from '../../plugins/forms.ts';
import { HttpProblem, notFound } from '../../plugins/http-errors.ts';
import type { RoutePlugin } from '../../plugins/route-options.ts';
import { canAddRegions, canViewRegions } from '../../domain/regions/permissions.ts';
import { codeOfPath } from '../../domain/regions/path.ts';

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

function loadRegion(app: { db: Parameters<typeof findRegion>[0] }, code: string): Region {
  const region = findRegion(app.db, code);
  if (!region) throw notFound('regions.error.notFound');
  return region;
}

const regionsRoutes: RoutePlugin = async (app) => {
  async function showRegion(
    request: FastifyRequest,
    reply: FastifyReply,
    region: Region,
    form: { values: NewRegionInput; errors: FieldErrors } | null,
    status = 200,
  ) {
    const user = request.requireUser();
    const ancestors = ancestorsOf(app.db, region).map((ancestor) => ({
      ...ancestor,
      // Ancestors outside the user's scope are named but not linked.
      linked: authorize(user.actor, canViewRegions, { regionPath: ancestor.path }) !== null,
    }));
    const nextLevel = childLevel[region.level];
    const canAdd = (nextLevel === 'township' || nextLevel === 'village') && authorize(user.actor, canAddRegions, { regionPath: region.path }) !== null;
    return reply.page(
      'pages/regions/show',
      {
        region,
        ancestors,
        children: childrenOf(app.db, region.code),
        nextLevel,
        canAdd,
        form: form ?? { values: { code: region.code, nameZh: '', nameEn: '', kind: '' }, errors: {} },
        added: typedValues(request.query).added ?? null,
      },
      { titleKey: 'regions.show.title', titleVariables: { name: request.locale === 'en' && region.nameEn ? region.nameEn : region.nameZh }, status },
    );
  }

  app.get('/regions', async (request, reply) => {
    request.authorize(canViewRegions);
    const user = request.requireUser();
    const roots = regionScopes(user.actor, canViewRegions)
      .map((path) => findRegion(app.db, codeOfPath(path) ?? ''))
      .filter((region): region is Region => region !== undefined);
    if (roots.length === 1 && roots[0]) return reply.seeOther(`/regions/${roots[0].code}`);
    return reply.page('pages/regions/index', { roots }, { titleKey: 'regions.title' });
  });

  app.get('/regions/:code', { schema: { params: RegionParams, querystring: RegionQuery }, attachValidation: true }, async (request, reply) => {
    shapeProblems(request, {}, 'regions.error.notFound'); // a malformed code: the 404 page; an odd query is ignored
    const region = loadRegion(app, request.params.code);
    request.authorize(canViewRegions, { regionPath: region.path }, { publicObject: true });
    return showRegion(request, reply, region, null);
  });

  app.post('/regions/:code/children', { schema: { params: RegionParams, body: NewRegionForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request, regionPageNames, 'regions.error.notFound');
    const parent = loadRegion(app, request.params.code);
    const user = request.requireUser();
    request.authorize(canAddRegions, { regionPath: parent.path }, { publicObject: true });
    const nextLevel = childLevel[parent.level];
    if (nextLevel !== 'township' && nextLevel !== 'village') throw new HttpProblem(422, 'regions.error.cannotAddHere');
    const typed = typedValues(request.body);
    const values: NewRegionInput = { code: typed.code ?? '', nameZh: typed.name_zh ?? '', nameEn: typed.name_en ?? '', kind: typed.kind ?? '' };
    if (shape.length > 0) return showRegion(request, reply, parent, { values, errors: Object.fromEntries(shape.map((problem) => [problem.field, problem.code])) }, 422);
    const result = addChildRegion(app.db, parent, values, user.id, request.ip, app.clock());
    if (!result.ok) return showRegion(request, reply, parent, { values, errors: result.errors }, 422);
    return reply.seeOther(`/regions/${parent.code}?added=${result.region.code}`);
  });
};
export default regionsRoutes;
