import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authorize } from '../../../domain/access/authorize.ts';
import type { Problem } from '../../../domain/redemption/context.ts';
import { Form, IdParams } from '../../../lib/form-schema.ts';
import { readIdempotencyKey } from '../../../lib/forms.ts';
import {
  addClerkByPhone, canKeepCatalogue, canManageSites, clerksOf, findSite, registerSite, removeClerk, setSiteActive, type Site, siteKinds, sitesAccess, siteToKeep, siteToManage, updateSite,
} from '../../../domain/redemption/site-core.ts';
import { addItem, changeStock, itemsOf, movementsOf, publicSites, siteRegions, updateItem } from '../../../domain/redemption/site-catalogue.ts';
import { normalizePhone } from '../../../lib/phone.ts';
import { formatDateTime } from '../../../lib/time.ts';
import { notFound } from '../../../plugins/http-errors.ts';
import type { RouteApp, RoutePlugin } from '../../../plugins/route-options.ts';
import { amountFields, minutesFromAmountFields, redemptionContext } from './shared.ts';
import { durationParts } from '../../../lib/duration.ts';
import { problemsToForm, shapeProblems, typedValues } from '../../../plugins/forms.ts';
import { present } from '../../../lib/assert.ts';
import { refusalPage } from '../../../plugins/http-errors.ts';

/**
 * Partner sites: the public list of sites and what they offer (/sites), the
 * registration of a site by coordinators and offices, and the catalogue and
 * stock page of a site for its clerks (/sites/:id/manage), where coordinators
 * and offices over the site also edit or close the site and add or remove
 * its clerks.
 */

const SitesQuery = Form.object({ region: Form.optional(Form.text(20)) });
const SavedQuery = Form.object({ saved: Form.optional(Form.text(10)) });
const ItemParams = Form.object({ id: Form.id(), itemId: Form.id() });
const ClerkParams = Form.object({ id: Form.id(), userId: Form.id() });
const siteFields = { name: Form.optional(Form.text(200)), kind: Form.optional(Form.text(40)), address: Form.optional(Form.text(400)), opening_hours: Form.optional(Form.text(200)) };
const NewSiteForm = Form.object({ ...siteFields, village_code: Form.optional(Form.text(20)), idempotency_key: Form.idempotencyKey() });
const SiteDetailsForm = Form.object(siteFields);
/** A stock count: blank or a whole number ("库存应为 0 或正整数"). */
const stockCount = Form.optional(Form.blankOr(Form.integer(0, 999_999), { messageKey: 'redemption.error.stock_invalid' }));
const ItemForm = Form.object({ name: Form.optional(Form.text(200)), kind: Form.optional(Form.text(40)), ...amountFields('price', 'price_hours'), stock: stockCount });
const ItemUpdateForm = Form.object({ name: Form.optional(Form.text(200)), ...amountFields('price', 'price_hours') });
const StockForm = Form.object({
  idempotency_key: Form.idempotencyKey(), kind: Form.optional(Form.oneOf(['receive', 'correct'])),
  quantity: Form.integer(0, 999_999), reason: Form.optional(Form.text(1000)),
});
const ActiveForm = Form.object({ active: Form.optional(Form.oneOf(['0', '1'])), reason: Form.optional(Form.text(1000)) });
const ClerkForm = Form.object({ phone: Form.optional(Form.text(40)) });

function newSitePage(request: FastifyRequest, reply: FastifyReply, values: Record<string, string>, problems: Problem[], status = 200) {
  return reply.page('pages/redemption/sites/new', { values, kinds: siteKinds, errors: problemsToForm(request.t, problems).summary, idempotencyKey: values.idempotencyKey }, { titleKey: 'redemption.siteNew.title', status });
}

/** The site of the URL whose catalogue the user keeps; the domain checks the role, then the site, then its scope (issue 15). */
function loadSite(app: FastifyInstance, request: FastifyRequest): Site {
  const found = siteToKeep(redemptionContext(app), request.requireUser().actor, (request.params as { id: number }).id);
  if (!found.ok) refusalPage(found);
  return found.site;
}

/** The site of the URL whose clerks, details or opening the user changes (staff over the site). */
function loadManagedSite(app: FastifyInstance, request: FastifyRequest): Site {
  const found = siteToManage(redemptionContext(app), request.requireUser().actor, (request.params as { id: number }).id);
  if (!found.ok) refusalPage(found);
  return found.site;
}

function managePage(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, site: Site, problems: Problem[], status = 200, siteValues?: Record<string, string>) {
  const user = request.requireUser();
  return reply.page('pages/redemption/sites/manage', {
    site,
    kinds: siteKinds,
    siteValues: siteValues ?? { name: site.name, kind: site.kind, address: site.address, openingHours: site.openingHours },
    items: itemsOf(app.db, site.id),
    clerks: clerksOf(app.db, site.id),
    movements: movementsOf(app.db, site.id).map((movement) => ({ ...movement, when: formatDateTime(movement.atMs, request.locale) })),
    canManage: authorize(user.actor, canManageSites, { regionPath: site.villagePath }) !== null,
    saved: (request.query as { saved?: string }).saved === '1',
    errors: problemsToForm(request.t, problems).summary,
    durationParts,
  }, { titleKey: 'redemption.site.title', titleVariables: { name: site.name }, status });
}

/** The public list of sites and the registration of a new site. */
function registerSiteListRoutes(app: RouteApp): void {
  app.get('/sites', { schema: { querystring: SitesQuery }, config: { public: true } }, async (request, reply) => {
    const region = request.query.region ?? '';
    const all = publicSites(app.db);
    const counties = siteRegions(app.db).map((region) => ({
      code: region.code, level: region.level, name: request.locale === 'en' && region.nameEn ? region.nameEn : region.nameZh,
    }));
    const sites = /^\d{6}(\d{3}){0,2}$/.test(region) ? publicSites(app.db, region) : all;
    const actor = request.currentUser?.actor ?? null;
    return reply.page('pages/redemption/sites/index', {
      sites,
      counties,
      region,
      canRegister: authorize(actor, canManageSites) !== null,
      manageable: new Set(sites.filter((site) => authorize(actor, canKeepCatalogue, { siteId: site.id, regionPath: present(findSite(app.db, site.id), 'a listed site exists (sites are never deleted)').villagePath })).map((s) => s.id)),
    }, { titleKey: 'redemption.sites.title' });
  });


  app.get('/sites/new', async (request, reply) => {
    const denied = sitesAccess(request.requireUser().actor);
    if (denied) refusalPage(denied);
    return newSitePage(request, reply, { name: '', kind: 'love_supermarket', villageCode: '', address: '', openingHours: '', idempotencyKey: '' }, []);
  });

  app.post('/sites', { schema: { body: NewSiteForm }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    const denied = sitesAccess(user.actor);
    if (denied) refusalPage(denied);
    const typed = typedValues(request.body);
    const values = {
      name: typed.name ?? '', kind: typed.kind ?? '', villageCode: typed.village_code ?? '',
      address: typed.address ?? '', openingHours: typed.opening_hours ?? '', idempotencyKey: readIdempotencyKey(request.body) ?? '',
    };
    const shape = shapeProblems(request);
    if (shape.length > 0) return newSitePage(request, reply, values, shape, 422);
    const result = registerSite(redemptionContext(app), user.actor, { ...values, idempotencyKey: values.idempotencyKey || null });
    if (!result.ok) return newSitePage(request, reply, values, result.problems, result.status);
    return reply.seeOther(`/sites/${result.value.siteId}/manage?saved=1`);
  });
}

/** The manage page and the catalogue: items, their prices, stock and availability. */
/** An item id of the URL that belongs to the site, or the 404 of a missing item. */
function itemOfSite(app: RouteApp, site: Site, itemId: number): number {
  if (!itemsOf(app.db, site.id).some((item) => item.id === itemId)) throw notFound('redemption.error.item_not_found');
  return itemId;
}

function registerCatalogueRoutes(app: RouteApp): void {

  app.get('/sites/:id/manage', { schema: { params: IdParams, querystring: SavedQuery } }, async (request, reply) => managePage(app, request, reply, loadSite(app, request), []));

  app.post('/sites/:id/items', { schema: { params: IdParams, body: ItemForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const site = loadSite(app, request);
    const user = request.requireUser();
    if (shape.length > 0) return managePage(app, request, reply, site, shape, 422);
    const body = request.body;
    const result = addItem(redemptionContext(app), user.actor, site.id, {
      name: body.name ?? '', kind: body.kind ?? '', priceMinutes: minutesFromAmountFields(body, 'price', 'price_hours'), stock: body.stock === undefined || body.stock === '' ? null : body.stock,
    });
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });

  app.post('/sites/:id/items/:itemId/stock', { schema: { params: ItemParams, body: StockForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const site = loadSite(app, request);
    const user = request.requireUser();
    const itemId = itemOfSite(app, site, request.params.itemId);
    if (shape.length > 0) return managePage(app, request, reply, site, shape, 422);
    const key = readIdempotencyKey(request.body) ?? crypto.randomUUID();
    const number = request.body.quantity;
    const result = request.body.kind === 'correct'
      ? changeStock(redemptionContext(app), user.actor, itemId, { kind: 'correct', count: number, reason: request.body.reason ?? '', idempotencyKey: key })
      : changeStock(redemptionContext(app), user.actor, itemId, { kind: 'receive', quantity: number, idempotencyKey: key });
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });

  // Name and price of a catalogue item (baskets already placed keep theirs).
  app.post('/sites/:id/items/:itemId', { schema: { params: ItemParams, body: ItemUpdateForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const site = loadSite(app, request);
    const user = request.requireUser();
    const itemId = itemOfSite(app, site, request.params.itemId);
    if (shape.length > 0) return managePage(app, request, reply, site, shape, 422);
    const result = updateItem(redemptionContext(app), user.actor, itemId, {
      name: request.body.name ?? '', priceMinutes: minutesFromAmountFields(request.body, 'price', 'price_hours'),
    });
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });

  app.post('/sites/:id/items/:itemId/active', { schema: { params: ItemParams, body: ActiveForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const site = loadSite(app, request);
    const user = request.requireUser();
    const itemId = itemOfSite(app, site, request.params.itemId);
    if (shape.length > 0) return managePage(app, request, reply, site, shape, 422);
    const result = updateItem(redemptionContext(app), user.actor, itemId, { active: request.body.active === '1' });
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });
}

/** Clerks of a site, and the site's own details and opening (coordinators and offices over it). */
function registerClerkAndSiteRoutes(app: RouteApp): void {
  app.post('/sites/:id/clerks', { schema: { params: IdParams, body: ClerkForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const site = loadManagedSite(app, request);
    const user = request.requireUser();
    if (shape.length > 0) return managePage(app, request, reply, site, shape, 422);
    const result = addClerkByPhone(redemptionContext(app), user.actor, site.id, normalizePhone(request.body.phone ?? '') ?? '');
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });

  app.post('/sites/:id/clerks/:userId/remove', { schema: { params: ClerkParams } }, async (request, reply) => {
    const site = loadManagedSite(app, request);
    const user = request.requireUser();
    const userId = request.params.userId;
    const result = removeClerk(redemptionContext(app), user.actor, site.id, userId);
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });

  // Name, kind, address and opening hours of the site (coordinators and offices over it).
  app.post('/sites/:id/details', { schema: { params: IdParams, body: SiteDetailsForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const site = loadManagedSite(app, request);
    const user = request.requireUser();
    const typed = typedValues(request.body);
    const values = { name: typed.name ?? '', kind: typed.kind ?? '', address: typed.address ?? '', openingHours: typed.opening_hours ?? '' };
    if (shape.length > 0) return managePage(app, request, reply, site, shape, 422, values);
    const result = updateSite(redemptionContext(app), user.actor, site.id, values);
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status, values);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });

  // Closes the site (no new baskets, off the public list) or opens it again, with a reason.
  app.post('/sites/:id/active', { schema: { params: IdParams, body: ActiveForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const site = loadManagedSite(app, request);
    const user = request.requireUser();
    if (shape.length > 0) return managePage(app, request, reply, site, shape, 422);
    const result = setSiteActive(redemptionContext(app), user.actor, site.id, request.body.active === '1', request.body.reason ?? '');
    if (!result.ok) return managePage(app, request, reply, site, result.problems, result.status);
    return reply.seeOther(`/sites/${site.id}/manage?saved=1`);
  });
}

const sitesRoutes: RoutePlugin = async (app) => {
  registerSiteListRoutes(app);
  registerCatalogueRoutes(app);
  registerClerkAndSiteRoutes(app);
};
export default sitesRoutes;
