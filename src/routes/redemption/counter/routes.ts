import { currentPolicy } from '../../../domain/redemption/policy-versions.ts';
import { priorityBoard } from '../../../domain/redemption/priority.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Problem } from '../../../domain/redemption/context.ts';
import { counterAccess, redemptionAsSeen, siteForCounter, workableSites as workableSitesOf, type Redemption } from '../../../domain/redemption/counter-core.ts';
import { cancelBasket, confirmAttested, confirmBasket, voidRedemption } from '../../../domain/redemption/counter-confirm.ts';
import { identifyMember } from '../../../domain/redemption/counter-identify.ts';
import { placeBasket } from '../../../domain/redemption/counter-basket.ts';
import { addReservation } from '../../../domain/redemption/reservations.ts';
import { basketForm, basketStatus, elderBasketForm, recentBaskets } from '../../../domain/redemption/counter-pages.ts';
import { lookUpElderAtCounter, lookUpMemberAtCounter } from '../../../domain/redemption/lookup.ts';
import { Form } from '../../../lib/form-schema.ts';
import { readIdempotencyKey } from '../../../lib/forms.ts';
import type { Site } from '../../../domain/redemption/site-core.ts';
import { itemsOf } from '../../../domain/redemption/site-catalogue.ts';
import { formatDateTime } from '../../../lib/time.ts';
import { notFound } from '../../../plugins/http-errors.ts';
import type { RouteApp, RoutePlugin } from '../../../plugins/route-options.ts';
import { elderReference, memberReference, readElderReference, readMemberReference, redemptionContext } from '../sites/shared.ts';
import { problemsToForm, shapeProblems, typedValues } from '../../../plugins/forms.ts';
import { present } from '../../../lib/assert.ts';
import { refusalPage } from '../../../plugins/http-errors.ts';

/**
 * The counter of a partner site: find the member (card QR URL /c/<token>,
 * card number or phone), build a basket, the member types their PIN on the
 * clerk's device, receipt; cancel; void within 10 minutes. At a service
 * station the clerk can also find a registered elder without a card (name and
 * ID digits), spend the elder's voucher and confirm it with an attested
 * confirmation (see confirmAttested). Every step is a plain form post (303 to
 * the next page) that htmx boosts.
 */
const SiteParams = Form.object({ siteId: Form.id() });
/** A member or elder reference (see memberReference); a forged one is answered like a missing member. */
const PersonParams = Form.object({ siteId: Form.id(), ref: Form.text(40) });
const BasketParams = Form.object({ siteId: Form.id(), id: Form.id() });
const ScanParams = Form.object({ token: Form.text(200) });
const ScanQuery = Form.object({ site: Form.optional(Form.optionalId()) });
const LookupForm = Form.object({ lookup: Form.optional(Form.text(200)) });
const ElderLookupForm = Form.object({ elder_name: Form.optional(Form.text(40)), elder_digits: Form.optional(Form.text(20)) });
/** A quantity per catalogue item (`qty_<item id>`): blank for none, or 0 to 99. */
const quantities = { patternProperties: { '^qty_[0-9]+$': Form.blankOr(Form.integer(0, 99)) } };
const ElderBasketForm = Form.object({ idempotency_key: Form.idempotencyKey() }, quantities);
const BasketForm = Form.object({ idempotency_key: Form.idempotencyKey(), payer: Form.optional(Form.oneOf(['wallet', 'voucher'])) }, quantities);
const ConfirmForm = Form.object({ pin: Form.optional(Form.text(20)), card: Form.optional(Form.text(300)) });
const AttestForm = Form.object({
  witness: Form.optional(Form.text(20)), witness_name: Form.optional(Form.text(40)), note: Form.optional(Form.text(400)), read_out: Form.checkbox('1'),
});
const ReservationForm = Form.object({ item_id: Form.id(), elder_id: Form.id() });
const VoidForm = Form.object({ reason: Form.optional(Form.text(400)) });

/** The problems of a refused form shape; a quantity that is no whole number from 0 to 99 says so in the counter's words. */
function counterShapeProblems(request: FastifyRequest): Problem[] {
  return shapeProblems(request).map((problem) => (problem.field?.startsWith('qty_') ? { ...problem, code: 'redemption.error.quantity_invalid' } : problem));
}

function workableSites(app: FastifyInstance, request: FastifyRequest): Site[] { return workableSitesOf(redemptionContext(app), request.requireUser().actor); }

/** The counter's site of the URL; the domain checks the role, then the site, then its scope (issue 15). */
function loadSite(app: FastifyInstance, request: FastifyRequest): Site {
  const found = siteForCounter(redemptionContext(app), request.requireUser().actor, (request.params as { siteId: number }).siteId);
  if (!found.ok) refusalPage(found);
  return found.site;
}

/** The 403 page for someone who works no counter, before their sites are listed. */
function checkCounterRole(request: FastifyRequest): void {
  const denied = counterAccess(request.requireUser().actor);
  if (denied) refusalPage(denied);
}

function sitePage(
  app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, site: Site, problems: Problem[], lookup = '', status = 200,
  elderForm: { values: { elderName: string; elderDigits: string }; errors: string[] } = { values: { elderName: '', elderDigits: '' }, errors: [] },
) {
  const recent = recentBaskets(redemptionContext(app), site.id, 10).map((redemption) => ({ ...redemption, when: formatDateTime(redemption.createdAtMs, request.locale) }));
  const priority = priorityBoard(redemptionContext(app), currentPolicy(redemptionContext(app)), site);
  return reply.page('pages/redemption/counter/site', { site, recent, priority, lookup, errors: problemsToForm(request.t, problems).summary, elderForm }, {
    titleKey: 'redemption.counter.site', titleVariables: { name: site.name }, status,
  });
}

function loadMember(app: FastifyInstance, request: FastifyRequest, site: Site): { memberId: number; present: boolean } {
  const found = readMemberReference(app, site.id, (request.params as { ref: string }).ref);
  if (found === null) throw notFound('redemption.error.member_not_found');
  return found;
}

/** The basket form (what a clerk may see of a member not proved present: see basketForm). */
function basketPage(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, site: Site, found: { memberId: number; present: boolean }, problems: Problem[], values: Record<string, string> = {}, status = 200) {
  const form = basketForm(redemptionContext(app), site, found, problems);
  if (!form) throw notFound('redemption.error.member_not_found');
  return reply.page('pages/redemption/counter/basket', {
    present: form.present, site, member: form.member, reference: (request.params as { ref: string }).ref, items: form.items,
    values, errors: problemsToForm(request.t, form.problems).summary, fieldErrors: problemsToForm(request.t, form.problems).byField, idempotencyKey: values.idempotency_key ?? '', canUseVoucher: form.canUseVoucher,
  }, { titleKey: 'redemption.counter.site', titleVariables: { name: site.name }, status });
}

function loadElder(app: FastifyInstance, request: FastifyRequest, site: Site): number {
  const elderId = readElderReference(app, site.id, (request.params as { ref: string }).ref);
  if (elderId === null) throw notFound('redemption.error.elder_not_found');
  return elderId;
}

function elderBasketPage(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, site: Site, elderId: number, problems: Problem[], values: Record<string, string> = {}, status = 200) {
  const form = elderBasketForm(redemptionContext(app), site, elderId);
  if (!form) throw notFound('redemption.error.elder_not_found');
  return reply.page('pages/redemption/counter/elder', {
    site, elder: form.elder, reference: (request.params as { ref: string }).ref, items: form.items,
    values, errors: problemsToForm(request.t, problems).summary, fieldErrors: problemsToForm(request.t, problems).byField, idempotencyKey: values.idempotency_key ?? '',
  }, { titleKey: 'redemption.counter.elderTitle', titleVariables: { name: site.name }, status });
}

/** The basket form (its shape checked by BasketForm): a quantity per active item (blank = 0), the fields as typed, and its idempotency key. */
function readBasketForm(app: FastifyInstance, request: FastifyRequest, site: Site) {
  const body = (request.body ?? {}) as Record<string, unknown>;
  const values = typedValues(body);
  const lines = itemsOf(app.db, site.id, { activeOnly: true }).map((item) => {
    const quantity = body[`qty_${item.id}`];
    return { itemId: item.id, quantity: typeof quantity === 'number' ? quantity : 0 };
  });
  const key = readIdempotencyKey(body);
  values.idempotency_key = key ?? '';
  return { values, lines, key };
}

function loadBasket(app: FastifyInstance, request: FastifyRequest, site: Site): Redemption {
  const redemption = redemptionAsSeen(redemptionContext(app), (request.params as { id: number }).id);
  if (!redemption || redemption.siteId !== site.id) throw notFound('redemption.error.basket_not_found');
  return redemption;
}

function basketStatusPage(
  app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, site: Site, redemption: Redemption, problems: Problem[], status = 200, attestValues: Record<string, string> = {},
) {
  const shown = basketStatus(redemptionContext(app), redemption);
  const receipt = shown.receipt;
  return reply.page('pages/redemption/counter/receipt', {
    site, redemption, member: shown.member, elder: shown.elder, attestValues, receipt, lines: shown.lines, errors: problemsToForm(request.t, problems).summary,
    payerName: shown.payerName, pinSetByStaff: shown.pinSetByStaff, balanceNow: shown.balanceNow, canVoid: shown.canVoid,
    when: receipt ? formatDateTime(receipt.confirmedAtMs, request.locale) : formatDateTime(redemption.createdAtMs, request.locale),
    pinLockedUntil: shown.member?.pinLockedUntilMs ? formatDateTime(shown.member.pinLockedUntilMs, request.locale) : null,
    memberReference: redemption.memberId === null ? null : memberReference(app, site.id, redemption.memberId),
  }, receipt
    ? { titleKey: 'redemption.receipt.title', titleVariables: { number: receipt.receiptNumber }, status }
    : { titleKey: 'redemption.counter.site', titleVariables: { name: site.name }, status });
}

/** Choosing the site and finding the member or the elder (typed, scanned or by the card URL). */
function registerFindRoutes(app: RouteApp): void {
  app.get('/counter', async (request, reply) => {
    checkCounterRole(request);
    const sites = workableSites(app, request);
    if (sites.length === 1 && sites[0]) return reply.seeOther(`/counter/${sites[0].id}`);
    return reply.page('pages/redemption/counter/index', { sites, token: null }, { titleKey: 'redemption.counter.title' });
  });

  app.get('/counter/:siteId', { schema: { params: SiteParams } }, async (request, reply) => sitePage(app, request, reply, loadSite(app, request), []));

  app.post('/counter/:siteId/identify', { schema: { params: SiteParams, body: LookupForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const site = loadSite(app, request);
    if (shape.length > 0) return sitePage(app, request, reply, site, shape, '', 422);
    const typed = (request.body.lookup ?? '').trim();
    // A scanned card URL (…/c/<token>) typed or pasted by a scanner into the box.
    const scanned = /\/c\/([A-Za-z0-9_-]{20,100})\/?$/.exec(typed);
    const lookup = scanned ? '' : typed.replace(/[\s-]/g, '');
    // A typed card number or phone is limited per clerk and per site (lookUpMemberAtCounter); a scanned card proves presence.
    const actor = request.requireUser().actor;
    const found = scanned ? identifyMember(redemptionContext(app), { token: scanned[1] ?? '' })
      : lookUpMemberAtCounter(redemptionContext(app), actor, site, /^\d{13}$/.test(lookup) ? { cardNumber: lookup } : { phone: lookup });
    if (!found.ok) return sitePage(app, request, reply, site, found.problems, lookup, found.status);
    return reply.seeOther(`/counter/${site.id}/m/${memberReference(app, site.id, found.value.memberId, Boolean(scanned))}`);
  });

  // A registered elder at a service station, by name and the ID number (whole, or its last four characters).
  app.post('/counter/:siteId/identify-elder', { schema: { params: SiteParams, body: ElderLookupForm }, attachValidation: true, config: { rateLimit: { max: 30, timeWindow: 60_000 } } }, async (request, reply) => {
    const shape = shapeProblems(request);
    const site = loadSite(app, request);
    const typed = typedValues(request.body);
    const values = { elderName: (typed.elder_name ?? '').trim().slice(0, 40), elderDigits: (typed.elder_digits ?? '').trim().slice(0, 20) };
    const found = shape.length > 0 ? { ok: false as const, status: 422 as const, problems: shape }
      : lookUpElderAtCounter(redemptionContext(app), request.requireUser().actor, site.id, { name: values.elderName, idDigits: values.elderDigits });
    if (!found.ok) {
      // Only a service station shows the elder search (and its errors); elsewhere the refusal is the page's own.
      if (site.kind !== 'service_station') return sitePage(app, request, reply, site, found.problems, '', found.status);
      return sitePage(app, request, reply, site, [], '', found.status, { values, errors: problemsToForm(request.t, found.problems).summary });
    }
    // An elder who is also a member pays like any member: card and PIN.
    if (found.value.memberId !== null) return reply.seeOther(`/counter/${site.id}/m/${memberReference(app, site.id, found.value.memberId)}`);
    return reply.seeOther(`/counter/${site.id}/e/${elderReference(app, site.id, found.value.elderId)}`);
  });

  // Opens the basket for the member whose card QR was scanned, at the clerk's
  // site. The card's own URL (/c/<token>, the members area) should send users
  // who work a counter here; until it does, a clerk may also paste or scan the
  // card URL into the counter's search box (see /identify).
  app.get('/counter/scan/:token', { schema: { params: ScanParams, querystring: ScanQuery } }, async (request, reply) => {
    const token = request.params.token;
    checkCounterRole(request);
    const sites = workableSites(app, request);
    const chosen = request.query.site || null;
    const site = chosen !== null ? sites.find((candidate) => candidate.id === chosen) : sites.length === 1 ? sites[0] : undefined;
    if (!site) return reply.page('pages/redemption/counter/index', { sites, token }, { titleKey: 'redemption.counter.title' });
    const found = identifyMember(redemptionContext(app), { token });
    if (!found.ok) return sitePage(app, request, reply, site, found.problems, '', found.status);
    return reply.seeOther(`/counter/${site.id}/m/${memberReference(app, site.id, found.value.memberId, true)}`);
  });
}

/** The basket forms of an elder (voucher) and of a member (wallet or voucher). */
function registerBasketRoutes(app: RouteApp): void {
  app.get('/counter/:siteId/e/:ref', { schema: { params: PersonParams } }, async (request, reply) => {
    const site = loadSite(app, request);
    return elderBasketPage(app, request, reply, site, loadElder(app, request, site), []);
  });

  app.post('/counter/:siteId/e/:ref/baskets', { schema: { params: PersonParams, body: ElderBasketForm }, attachValidation: true }, async (request, reply) => {
    const shape = counterShapeProblems(request);
    const site = loadSite(app, request);
    const elderId = loadElder(app, request, site);
    const { values, lines, key } = readBasketForm(app, request, site);
    if (shape.length > 0) return elderBasketPage(app, request, reply, site, elderId, shape, values, 422);
    if (!key) return elderBasketPage(app, request, reply, site, elderId, [{ code: 'redemption.error.key_reused' }], values, 400);
    const placed = placeBasket(redemptionContext(app), request.requireUser().actor, { siteId: site.id, memberId: null, elderId, lines, payer: 'voucher', idempotencyKey: key });
    if (!placed.ok) return elderBasketPage(app, request, reply, site, elderId, placed.problems, values, placed.status);
    return reply.seeOther(`/counter/${site.id}/baskets/${placed.value.id}`);
  });

  app.get('/counter/:siteId/m/:ref', { schema: { params: PersonParams } }, async (request, reply) => {
    const site = loadSite(app, request);
    return basketPage(app, request, reply, site, loadMember(app, request, site), []);
  });

  app.post('/counter/:siteId/m/:ref/baskets', { schema: { params: PersonParams, body: BasketForm }, attachValidation: true }, async (request, reply) => {
    const shape = counterShapeProblems(request);
    const site = loadSite(app, request);
    const found = loadMember(app, request, site);
    const user = request.requireUser();
    const { values, lines, key } = readBasketForm(app, request, site);
    if (shape.length > 0) return basketPage(app, request, reply, site, found, shape, values, 422);
    values.payer = request.body.payer === 'voucher' ? 'voucher' : 'wallet';
    if (!key) return basketPage(app, request, reply, site, found, [{ code: 'redemption.error.key_reused' }], values, 400);
    const placed = placeBasket(redemptionContext(app), user.actor, { siteId: site.id, memberId: found.memberId, lines, payer: values.payer as 'wallet' | 'voucher', idempotencyKey: key, present: found.present });
    if (!placed.ok) return basketPage(app, request, reply, site, found, placed.problems, values, placed.status);
    return reply.seeOther(`/counter/${site.id}/baskets/${placed.value.id}`);
  });
}

/** A placed basket: its status and receipt, confirmed by PIN or attested, cancelled or voided. */
function registerReceiptRoutes(app: RouteApp): void {
  app.get('/counter/:siteId/baskets/:id', { schema: { params: BasketParams } }, async (request, reply) => {
    const site = loadSite(app, request);
    return basketStatusPage(app, request, reply, site, loadBasket(app, request, site), []);
  });

  app.post('/counter/:siteId/baskets/:id/confirm', { schema: { params: BasketParams, body: ConfirmForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const site = loadSite(app, request);
    const redemption = loadBasket(app, request, site);
    if (shape.length > 0) return basketStatusPage(app, request, reply, site, redemption, shape, 422);
    const result = await confirmBasket(redemptionContext(app), request.requireUser().actor, redemption.id, (request.body.pin ?? '').trim(), request.body.card ?? '');
    if (!result.ok) return basketStatusPage(app, request, reply, site, present(redemptionAsSeen(redemptionContext(app), redemption.id), 'a basket loaded for this request still exists'), result.problems, result.status);
    return reply.seeOther(`/counter/${site.id}/baskets/${redemption.id}`);
  });

  app.post('/counter/:siteId/baskets/:id/attest', { schema: { params: BasketParams, body: AttestForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const site = loadSite(app, request);
    const redemption = loadBasket(app, request, site);
    const typed = typedValues(request.body);
    const values = { witness: typed.witness ?? '', witness_name: typed.witness_name ?? '', note: typed.note ?? '', read_out: typed.read_out ?? '' };
    if (shape.length > 0) return basketStatusPage(app, request, reply, site, redemption, shape, 422, values);
    const result = confirmAttested(redemptionContext(app), request.requireUser().actor, redemption.id, {
      witness: values.witness, witnessName: values.witness_name, note: values.note, readOut: values.read_out === '1',
    });
    if (!result.ok) return basketStatusPage(app, request, reply, site, present(redemptionAsSeen(redemptionContext(app), redemption.id), 'a loaded basket still exists'), result.problems, result.status, values);
    return reply.seeOther(`/counter/${site.id}/baskets/${redemption.id}`);
  });

  app.post('/counter/:siteId/baskets/:id/cancel', { schema: { params: BasketParams } }, async (request, reply) => {
    const site = loadSite(app, request);
    const redemption = loadBasket(app, request, site);
    const result = cancelBasket(redemptionContext(app), request.requireUser().actor, redemption.id);
    if (!result.ok) return basketStatusPage(app, request, reply, site, present(redemptionAsSeen(redemptionContext(app), redemption.id), 'a loaded basket still exists'), result.problems, result.status);
    return reply.seeOther(`/counter/${site.id}/baskets/${redemption.id}`);
  });

  app.post('/counter/:siteId/baskets/:id/void', { schema: { params: BasketParams, body: VoidForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const site = loadSite(app, request);
    const redemption = loadBasket(app, request, site);
    if (shape.length > 0) return basketStatusPage(app, request, reply, site, redemption, shape, 422);
    const result = voidRedemption(redemptionContext(app), request.requireUser().actor, redemption.id, request.body.reason ?? '');
    if (!result.ok) return basketStatusPage(app, request, reply, site, present(redemptionAsSeen(redemptionContext(app), redemption.id), 'a basket loaded for this request still exists'), result.problems, result.status);
    return reply.seeOther(`/counter/${site.id}/baskets/${redemption.id}`);
  });
}

/** A coordinator or the clerk puts an eligible elder on an item's reservation list (reservations.ts). */
function registerReservationRoutes(app: RouteApp): void {
  app.post('/counter/:siteId/reservations', { schema: { params: SiteParams, body: ReservationForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const site = loadSite(app, request);
    if (shape.length > 0) return sitePage(app, request, reply, site, shape, '', 422);
    const added = addReservation(redemptionContext(app), request.requireUser().actor, { siteId: site.id, itemId: request.body.item_id, elderId: request.body.elder_id });
    if (!added.ok) return sitePage(app, request, reply, site, added.problems, '', added.status);
    return reply.seeOther(`/counter/${site.id}#priority-list`);
  });
}

const counterRoutes: RoutePlugin = async (app) => {
  registerFindRoutes(app);
  registerReservationRoutes(app);
  registerBasketRoutes(app);
  registerReceiptRoutes(app);
};
export default counterRoutes;
