import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { authorize, regionScopes } from '../../domain/access/authorize.ts';
import { addChildRegion, ancestorsOf, childLevel, childrenOf, findRegion, type FieldErrors, type NewRegionInput, type Region } from '../../domain/regions/regions.ts';
import { field } from '../../lib/forms.ts';
import { HttpProblem, notFound } from '../../plugins/http-errors.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';
import { canAddRegions, canViewRegions } from '../../domain/regions/permissions.ts';
import { codeOfPath } from '../../domain/regions/path.ts';

const regionCodePattern = /^\d{6}(\d{3}){0,2}$/;

function loadRegion(app: { db: Parameters<typeof findRegion>[0] }, code: string): Region {
  if (!regionCodePattern.test(code)) throw notFound('regions.error.notFound');
  const region = findRegion(app.db, code);
  if (!region) throw notFound('regions.error.notFound');
  return region;
}

const regionsRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
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
        added: (request.query as { added?: string }).added ?? null,
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

  app.get<{ Params: { code: string } }>('/regions/:code', async (request, reply) => {
    const region = loadRegion(app, request.params.code);
    request.authorize(canViewRegions, { regionPath: region.path }, { publicObject: true });
    return showRegion(request, reply, region, null);
  });

  app.post<{ Params: { code: string } }>('/regions/:code/children', async (request, reply) => {
    const parent = loadRegion(app, request.params.code);
    const user = request.requireUser();
    request.authorize(canAddRegions, { regionPath: parent.path }, { publicObject: true });
    const nextLevel = childLevel[parent.level];
    if (nextLevel !== 'township' && nextLevel !== 'village') throw new HttpProblem(422, 'regions.error.cannotAddHere');
    const values: NewRegionInput = {
      code: field(request.body, 'code'),
      nameZh: field(request.body, 'name_zh'),
      nameEn: field(request.body, 'name_en'),
      kind: field(request.body, 'kind'),
    };
    const result = addChildRegion(app.db, parent, values, user.id, request.ip, app.clock());
    if (!result.ok) return showRegion(request, reply, parent, { values, errors: result.errors }, 422);
    return reply.seeOther(`/regions/${parent.code}?added=${result.region.code}`);
  });
};
export default regionsRoutes;
