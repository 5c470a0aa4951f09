import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { eq } from 'drizzle-orm';
import { users } from '../../db/schema/core.ts';
import { authorize } from '../../domain/access/authorize.ts';
import type { Problem } from '../../domain/redemption/context.ts';
import {
  addClerk, addItem, canKeepCatalogue, canManageSites, changeStock, clerksOf, findSite, itemsOf, movementsOf, publicSites, registerSite, removeClerk, setSiteActive,
  siteKinds, siteRegions, updateItem, updateSite, type Site,
} from '../../domain/redemption/sites.ts';
import { field, readIdempotencyKey } from '../../lib/forms.ts';
import { normalizePhone } from '../../lib/phone.ts';
import { formatDateTime } from '../../lib/time.ts';
import { notFound } from '../../plugins/http-errors.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';
import { minutesFromAmountFields, positiveId, redemptionContext } from './shared.ts';
import { durationParts } from '../../lib/duration.ts';
import { problemsToForm } from '../../plugins/forms.ts';

/**
 * Partner sites: the public list of sites and what they offer (/sites), the
 * registration of a site by coordinators and offices, and the catalogue and
 * stock page of a site for its clerks (/sites/:id/manage), where coordinators
 * and offices over the site also edit or close the site and add or remove
 * its clerks.
 */
const siteNotFound = 'redemption.error.site_not_found';

function newSitePage(request: FastifyRequest, reply: FastifyReply, values: Record<string, string>, problems: Problem[], status = 200) {
  return reply.page('pages/sites/new', { values, kinds: siteKinds, errors: problemsToForm(request.t, problems).summary, idempotencyKey: values.idempotencyKey }, { titleKey: 'redemption.siteNew.title', status });
}

function loadSite(app: FastifyInstance, request: FastifyRequest): Site {
  const siteId = positiveId((request.params as { id: string }).id);
  request.authorize(canKeepCatalogue);
  const site = siteId === null ? undefined : findSite(app.db, siteId);
  if (!site) throw notFound(siteNotFound);
  request.authorize(canKeepCatalogue, { siteId: site.id, regionPath: site.villagePath }, { notFoundKey: siteNotFound });
  return site;
}

function managePage(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, site: Site, problems: Problem[], status = 200, siteValues?: Record<string, string>) {
  const user = request.requireUser();
  return reply.page('pages/sites/manage', {
    site,
    kinds: siteKinds,
    siteValues: siteValues ?? { name: site.name, kind: site.kind, address: site.address, openingHours: site.openingHours },
    items: itemsOf(app.db, site.id),
    clerks: clerksOf(app.db, site.id),
    movements: movementsOf(app.db, site.id).map((movement) => ({ ...movement, when: formatDateTime(movement.atMs, request.locale) })),
    canManage: authorize(user.actor, canManageSites, { regionPath: site.villagePath }) !== null,
    saved: field(request.query, 'saved') === '1',
    errors: problemsToForm(request.t, problems).summary,
    durationParts,
  }, { titleKey: 'redemption.site.title', titleVariables: { name: site.name }, status });
}

/** The public list of sites and the registration of a new site. */
function registerSiteListRoutes(app: FastifyInstance): void {
  app.get('/sites', { config: { public: true } }, async (request, reply) => {
    const region = field(request.query, 'region');
    const all = publicSites(app.db);
    const counties = siteRegions(app.db).map((region) => ({
      code: region.code, level: region.level, name: request.locale === 'en' && region.nameEn ? region.nameEn : region.nameZh,
    }));
    const sites = /^\d{6}(\d{3}){0,2}$/.test(region) ? publicSites(app.db, region) : all;
    const actor = request.currentUser?.actor ?? null;
    return reply.page('pages/sites/index', {
      sites,
      counties,
      region,
      canRegister: authorize(actor, canManageSites) !== null,
      manageable: new Set(sites.filter((site) => authorize(actor, canKeepCatalogue, { siteId: site.id, regionPath: findSite(app.db, site.id)!.villagePath })).map((s) => s.id)),
    }, { titleKey: 'redemption.sites.title' });
  });


  app.get('/sites/new', async (request, reply) => {
    request.authorize(canManageSites);
    return newSitePage(request, reply, { name: '', kind: 'love_supermarket', villageCode: '', address: '', openingHours: '', idempotencyKey: '' }, []);
  });

  app.post('/sites', async (request, reply) => {
    const user = request.requireUser();
    request.authorize(canManageSites);
    const values = {
      name: field(request.body, 'name'), kind: field(request.body, 'kind'), villageCode: field(request.body, 'village_code'),
      address: field(request.body, 'address'), openingHours: field(request.body, 'opening_hours'), idempotencyKey: readIdempotencyKey(request.body) ?? '',
    };
    const result = registerSite(redemptionContext(app), user.actor, { ...values, idempotencyKey: values.idempotencyKey || null });
    if (!result.ok) return newSitePage(request, reply, values, result.problems, result.status);
    return reply.seeOther(`/sites/${result.value.siteId}/manage?saved=1`);
  });
}

/** The manage page and the catalogue: items, their prices, stock and availability. */
function registerCatalogueRoutes(app: FastifyInstance): void {

  app.get<{ Params: { id: string } }>('/sites/:id/manage', async (request, reply) => managePage(app, request, reply, loadSite(app, request), []));

  app.post<{ Params: { id: string } }>('/sites/:id/items', async (request, reply) => {
    const site = loadSite(app, request);
    const user = request.requireUser();
    const stockText = field(request.body, 'stock').trim();
    const result = addItem(redemptionContext(app), user.actor, site.id, {
      name: field(request.body, 'name'), kind: field(request.body, 'kind'), priceMinutes: minutesFromAmountFields(request.body, 'price', 'price_hours'),
      stock: stockText === '' ? null : /^\d+$/.test(stockText) ? Number(stockText) : -1,
    });
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });

  app.post<{ Params: { id: string; itemId: string } }>('/sites/:id/items/:itemId/stock', async (request, reply) => {
    const site = loadSite(app, request);
    const user = request.requireUser();
    const itemId = positiveId(request.params.itemId);
    if (itemId === null || !itemsOf(app.db, site.id).some((item) => item.id === itemId)) throw notFound('redemption.error.item_not_found');
    const key = readIdempotencyKey(request.body) ?? crypto.randomUUID();
    const kind = field(request.body, 'kind');
    const amount = field(request.body, 'quantity').trim();
    const number = /^\d{1,6}$/.test(amount) ? Number(amount) : -1;
    const result = kind === 'correct'
      ? changeStock(redemptionContext(app), user.actor, itemId, { kind: 'correct', count: number, reason: field(request.body, 'reason'), idempotencyKey: key })
      : changeStock(redemptionContext(app), user.actor, itemId, { kind: 'receive', quantity: number, idempotencyKey: key });
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });

  // Name and price of a catalogue item (baskets already placed keep theirs).
  app.post<{ Params: { id: string; itemId: string } }>('/sites/:id/items/:itemId', async (request, reply) => {
    const site = loadSite(app, request);
    const user = request.requireUser();
    const itemId = positiveId(request.params.itemId);
    if (itemId === null || !itemsOf(app.db, site.id).some((item) => item.id === itemId)) throw notFound('redemption.error.item_not_found');
    const result = updateItem(redemptionContext(app), user.actor, itemId, {
      name: field(request.body, 'name'), priceMinutes: minutesFromAmountFields(request.body, 'price', 'price_hours'),
    });
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });

  app.post<{ Params: { id: string; itemId: string } }>('/sites/:id/items/:itemId/active', async (request, reply) => {
    const site = loadSite(app, request);
    const user = request.requireUser();
    const itemId = positiveId(request.params.itemId);
    if (itemId === null || !itemsOf(app.db, site.id).some((item) => item.id === itemId)) throw notFound('redemption.error.item_not_found');
    const result = updateItem(redemptionContext(app), user.actor, itemId, { active: field(request.body, 'active') === '1' });
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });
}

/** Clerks of a site, and the site's own details and opening (coordinators and offices over it). */
function registerClerkAndSiteRoutes(app: FastifyInstance): void {
  app.post<{ Params: { id: string } }>('/sites/:id/clerks', async (request, reply) => {
    const site = loadSite(app, request);
    const user = request.requireUser();
    request.authorize(canManageSites, { regionPath: site.villagePath }, { notFoundKey: siteNotFound });
    const phone = normalizePhone(field(request.body, 'phone'));
    const found = phone ? app.db.select({ id: users.id }).from(users).where(eq(users.phone, phone)).get() : undefined;
    if (!found) return managePage(app, request, reply, site, [{ code: 'redemption.error.user_not_found' }], 422);
    const result = addClerk(redemptionContext(app), user.actor, site.id, found.id);
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });

  app.post<{ Params: { id: string; userId: string } }>('/sites/:id/clerks/:userId/remove', async (request, reply) => {
    const site = loadSite(app, request);
    const user = request.requireUser();
    request.authorize(canManageSites, { regionPath: site.villagePath }, { notFoundKey: siteNotFound });
    const userId = positiveId(request.params.userId);
    if (userId === null) throw notFound('redemption.error.clerk_not_found');
    const result = removeClerk(redemptionContext(app), user.actor, site.id, userId);
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });

  // Name, kind, address and opening hours of the site (coordinators and offices over it).
  app.post<{ Params: { id: string } }>('/sites/:id/details', async (request, reply) => {
    const site = loadSite(app, request);
    const user = request.requireUser();
    request.authorize(canManageSites, { regionPath: site.villagePath }, { notFoundKey: siteNotFound });
    const values = {
      name: field(request.body, 'name'), kind: field(request.body, 'kind'), address: field(request.body, 'address'), openingHours: field(request.body, 'opening_hours'),
    };
    const result = updateSite(redemptionContext(app), user.actor, site.id, values);
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status, values);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });

  // Closes the site (no new baskets, off the public list) or opens it again, with a reason.
  app.post<{ Params: { id: string } }>('/sites/:id/active', async (request, reply) => {
    const site = loadSite(app, request);
    const user = request.requireUser();
    request.authorize(canManageSites, { regionPath: site.villagePath }, { notFoundKey: siteNotFound });
    const result = setSiteActive(redemptionContext(app), user.actor, site.id, field(request.body, 'active') === '1', field(request.body, 'reason'));
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });
}

const sitesRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
  registerSiteListRoutes(app);
  registerCatalogueRoutes(app);
  registerClerkAndSiteRoutes(app);
};
export default sitesRoutes;
