/**
 * The authorization matrix: every route of the application x every demo role
 * x an object inside / outside the role's scope -> the outcome we expect.
 * test/routes/access-matrix.test.ts walks the server's real route list (the
 * `onRoute` option of buildApp) and fails when a route has no row here, so a
 * new route cannot ship without its access rule. test/routes/fuzz.test.ts
 * uses the same list to find every form endpoint and a role allowed to use it.
 *
 * Who asks (the demo users of src/domain/demo/seed.ts, password yinling2026):
 *   anonymous    no session (but a CSRF cookie and token from /sign-in)
 *   volunteer    凤凰县 山江镇 老家寨村 433123101001 (member 王秀英)
 *   coordinator  凤凰县 山江镇 433123101
 *   clerk        partner site 1 (旺溪村爱心超市, 隆回县, 邵阳市)
 *   office       凤凰县 433123 (county office)
 *   office-city  邵阳市 430500 (city office; 隆回县 is in it, 凤凰县 is not)
 *   admin        湖南省 430000
 *
 * Objects named by a URL come in two seeded copies (see `Fixtures`):
 *   home  in 凤凰县 山江镇 老家寨村 (or its township): inside the volunteer's,
 *         coordinator's, county office's and admin's scope; outside the city
 *         office's and the clerk's (the clerk's site is site 1, in 隆回县)
 *   away  in 隆回县 (邵阳市): inside the city office's, the admin's and (for
 *         partner sites) the clerk's scope; outside everybody else's
 * A row's expectation per role is one Outcome (routes without an object), or
 * [home, away] for routes whose URL names an object.
 *
 * Outcomes, and exactly how a response is recognised (see `classify`):
 *   'sign-in'  303 whose Location starts with /sign-in?next=
 *   403        403 page that is not the CSRF refusal (every request carries a valid token):
 *              the asker holds none of the roles (whatever the object), or a business
 *              rule about an object inside the scope (nobody decides their own record)
 *   404        404 page: how objects outside the asker's scope (or a member's own) are
 *              hidden; it is the very answer a missing id gets (issue 12 item 7)
 *   'allow'    authorization let the request through: a GET answered 2xx or
 *              3xx (not to /sign-in); a POST answered 2xx/3xx or a validation
 *              refusal of the minimal body (400, 409, 410, 413, 422), which the
 *              route only reaches after its access checks. 401/403/404 and
 *              any 5xx are never 'allow'.
 * POST bodies are minimal (often empty): enough to pass authorization and be
 * refused or accepted by validation. Every request runs inside a SQLite
 * savepoint that is rolled back afterwards, so rows never change each other's
 * data and the order of rows does not matter.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions, RouteOptions } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { openDatabase, type Db } from '../../src/db/client.ts';
import { actorOf, insertUser } from '../../src/domain/auth/users.ts';
import { seedDemoNetwork } from '../../src/domain/demo/network.ts';
import { checkInPath, findSession, openSignIn, ticketFor } from '../../src/domain/hours/activities.ts';
import { createActivity } from '../../src/domain/people/teams/teams.ts';
import { openCardToken } from '../../src/domain/people/members/card.ts';
import { selfRegisterMember } from '../../src/domain/people/members/register.ts';
import { postRequest } from '../../src/domain/redemption/requests.ts';
import { issueCertificate } from '../../src/domain/records/certificates.ts';
import { requestCertificate } from '../../src/domain/records/requests.ts';
import { generateCheckpointKeys } from '../../src/lib/checkpoint-key.ts';
import { translator } from '../../src/i18n/index.ts';
import { makeIdNumber } from '../../src/lib/idcard.ts';
import type { Secrets } from '../../src/lib/secrets.ts';
import { encryptText } from '../../src/lib/crypto.ts';
import { objectionPhonePurpose } from '../../src/domain/stars/objections.ts';
import { testSecrets } from '../helpers/crypto-profile.ts';
import { elderReference, memberReference } from '../../src/routes/redemption/sites/shared.ts';
import { TestBrowser, TestClock, demoPhone } from '../helpers/web.ts';
import { demoPassword } from '../../src/domain/demo/seed.ts';
import { actorWithRoles } from '../helpers/actor.ts';

export const askers = ['anonymous', 'volunteer', 'coordinator', 'clerk', 'office', 'office-city', 'admin'] as const;
export type Asker = (typeof askers)[number];
export type Outcome = 'allow' | 'sign-in' | 403 | 404;
export type Side = 'home' | 'away';
export const sides: readonly Side[] = ['home', 'away'];

/** Is the object of a side inside the asker's scope (for messages; the table states the outcomes)? */
export function insideScope(asker: Asker, side: Side, kind: FixtureKind | null): boolean {
  if (asker === 'anonymous') return false;
  if (asker === 'admin') return true;
  if (asker === 'clerk') return (kind === 'site' || kind === 'item' || kind === 'siteClerk' || kind === 'counterMember' || kind === 'counterElder' || kind === 'basket') && side === 'away';
  if (asker === 'office-city') return side === 'away';
  return side === 'home';
}

/** Kinds of object a URL parameter names; each has a home and an away copy in the seeded data. */
export type FixtureKind =
  | 'member' | 'pendingMember' | 'memberToken' | 'elder' | 'team' | 'membership' | 'activity' | 'session' | 'checkInCode' | 'ticket'
  | 'record' | 'site' | 'item' | 'siteClerk' | 'counterMember' | 'counterElder' | 'basket' | 'request' | 'importBatch' | 'region' | 'account'
  | 'certificateRequest' | 'certificate' | 'certificateNumber'
  | 'starAward' | 'starNotice' | 'starObjection' | 'message';

export type Fixtures = Record<FixtureKind, Record<Side, string>>;

export interface MatrixRow {
  method: 'GET' | 'POST';
  /** The route pattern exactly as registered ('/members/:id'). */
  url: string;
  /** Which fixture fills each URL parameter (both sides use the same kinds). */
  params?: Record<string, FixtureKind>;
  /** Query parameters filled from fixtures ('/members/cards?ids=<member>'). */
  query?: Record<string, FixtureKind>;
  /** The URL to request when the parameter is not an object (an asset's name): no sides. */
  path?: string;
  /** The form sent with a POST (a valid `_csrf` is added). */
  body?: Form;
  /** Expected outcome per asker: one for routes without an object, [home, away] for routes with one. */
  expect: Record<Asker, Outcome | readonly [Outcome, Outcome]>;
  /** Why the rule is what it is, where that is not obvious. */
  note?: string;
}

const S = 'sign-in' as const;
const A = 'allow' as const;

/** Shorthands for common rules. */
const publicRoute: MatrixRow['expect'] = { anonymous: A, volunteer: A, coordinator: A, clerk: A, office: A, 'office-city': A, admin: A };
const anySignedIn: MatrixRow['expect'] = { anonymous: S, volunteer: A, coordinator: A, clerk: A, office: A, 'office-city': A, admin: A };

/**
 * The table. Each rule was read against the permission the route declares
 * and the domain check it calls; `note` says why where it is not obvious.
 */
export const matrix: readonly MatrixRow[] = [
  { method: 'GET', url: '/assets/:name', path: '/assets/app.css', expect: publicRoute },
  { method: 'GET', url: '/healthz', expect: publicRoute },
  { method: 'GET', url: '/manifest.webmanifest', expect: publicRoute, note: 'the installable app: read by the browser before anyone signs in' },
  { method: 'GET', url: '/sw.js', expect: publicRoute, note: 'the service worker: code only; what it keeps is decided by the pages (docs/OFFLINE.md)' },
  { method: 'POST', url: '/preferences/language', expect: publicRoute },
  { method: 'POST', url: '/preferences/elder-mode', expect: publicRoute },
  { method: 'GET', url: '/sign-in', expect: publicRoute },
  { method: 'POST', url: '/sign-in', expect: publicRoute },
  { method: 'POST', url: '/sign-out', expect: publicRoute },
  { method: 'GET', url: '/account', expect: anySignedIn },
  { method: 'GET', url: '/account/password', expect: anySignedIn },
  { method: 'POST', url: '/account/password', expect: anySignedIn },
  { method: 'GET', url: '/', expect: anySignedIn },
  { method: 'GET', url: '/messages', expect: anySignedIn },
  { method: 'POST', url: '/messages/read-all', expect: anySignedIn, note: 'reading is a POST: a GET of the inbox writes nothing' },
  { method: 'POST', url: '/messages/:id/read', params: { id: 'message' }, expect: { anonymous: [S, S], volunteer: [A, 404], coordinator: [404, 404], clerk: [404, 404], office: [404, 404], 'office-city': [404, A], admin: [404, 404] }, note: 'only its reader: anyone else gets the answer of a missing message' },
  { method: 'GET', url: '/messages/choice', expect: { anonymous: S, volunteer: A, coordinator: 404, clerk: 404, office: 404, 'office-city': 404, admin: 404 }, note: 'a member\'s own channel; staff without a member record have none' },
  { method: 'POST', url: '/messages/choice', body: { channel: 'inbox' }, expect: { anonymous: S, volunteer: A, coordinator: 404, clerk: 404, office: 404, 'office-city': 404, admin: 404 } },
  { method: 'GET', url: '/messages/choice/:id', params: { id: 'member' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [403, 403], 'office-city': [403, 403], admin: [403, 403] }, note: 'coordinators set the channel of a member without a smartphone' },
  { method: 'POST', url: '/messages/choice/:id', params: { id: 'member' }, body: { channel: 'inbox' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [403, 403], 'office-city': [403, 403], admin: [403, 403] } },
  { method: 'GET', url: '/messages/templates', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: 403, 'office-city': 403, admin: A } },
  { method: 'POST', url: '/messages/templates/:kind', path: '/messages/templates/record_rejected', body: { body: '' }, expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: 403, 'office-city': 403, admin: A } },
  { method: 'GET', url: '/regions', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/regions/:code', params: { code: 'region' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'a region outside the scope answers like a missing code, as the report pages do' },
  { method: 'POST', url: '/regions/:code/children', params: { code: 'region' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [403, 403], 'office-city': [403, 403], admin: [A, A] }, note: 'only the admin adds townships and villages' },
  { method: 'GET', url: '/audit', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/members', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/members/new', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/members', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/members/review', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/members/:id/review', params: { id: 'pendingMember' }, body: { decision: 'approve' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'approving needs the pending member in scope' },
  { method: 'GET', url: '/members/:id', params: { id: 'member' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/members/:id/status', params: { id: 'member' }, body: { action: 'suspend', reason: '外出务工一年' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/members/:id/pin', params: { id: 'member' }, body: { pin: '135790', pin_confirm: '135790' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/members/:id/card', params: { id: 'member' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/members/:id/card', params: { id: 'member' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/members/cards', query: { ids: 'member' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/members/me', expect: { anonymous: S, volunteer: A, coordinator: 404, clerk: 404, office: 404, 'office-city': 404, admin: 404 }, note: 'only a member login has an own record; staff get 404' },
  { method: 'POST', url: '/members/me/pin', expect: { anonymous: S, volunteer: A, coordinator: 404, clerk: 404, office: 404, 'office-city': 404, admin: 404 } },
  { method: 'POST', url: '/members/me/teams/:teamId', params: { teamId: 'team' }, expect: { anonymous: [S, S], volunteer: [A, 404], coordinator: [404, 404], clerk: [404, 404], office: [404, 404], 'office-city': [404, 404], admin: [404, 404] }, note: 'a member asks to join teams of their own area only; staff have no member record (404)' },
  { method: 'GET', url: '/members/me/export', expect: { anonymous: S, volunteer: A, coordinator: 404, clerk: 404, office: 404, 'office-city': 404, admin: 404 } },
  { method: 'GET', url: '/members/:id/export', params: { id: 'member' }, expect: { anonymous: [S, S], volunteer: [404, 404], coordinator: [A, 404], clerk: [404, 404], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: "a PIPL copy with ID number and phone masked: staff in scope; anyone else gets 404 (a member's own copy is /members/me/export)" },
  { method: 'POST', url: '/members/:id/export', params: { id: 'member' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'a full copy with a recorded reason: staff in scope only (the minimal body has no reason: 422)' },
  { method: 'GET', url: '/accounts', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/accounts/new', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/accounts', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A }, note: 'the role and region granted are checked against the scope by the domain' },
  { method: 'GET', url: '/accounts/:id', params: { id: 'account' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/accounts/:id/roles', params: { id: 'account' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/accounts/:id/revoke', params: { id: 'account' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/accounts/:id/password', params: { id: 'account' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/accounts/:id/unlock', params: { id: 'account' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'lifts sign-in locks of an account in scope (409 when none)' },
  { method: 'POST', url: '/members/:id/account', params: { id: 'member' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'a volunteer sign-in for a member of the area' },
  { method: 'GET', url: '/join', expect: publicRoute },
  { method: 'POST', url: '/join', expect: publicRoute },
  { method: 'GET', url: '/c/:token', params: { token: 'memberToken' }, expect: { anonymous: [A, A], volunteer: [A, A], coordinator: [A, A], clerk: [A, A], office: [A, A], 'office-city': [A, A], admin: [A, A] }, note: "public by design: anyone may check a card is valid; the holder's name is shown only to staff in scope" },
  { method: 'GET', url: '/join/done', expect: publicRoute },
  { method: 'GET', url: '/import', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/import/template/:kind', path: '/import/template/members', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A }, note: 'the template lists the villages of the user scope' },
  { method: 'POST', url: '/import', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/import/:id', params: { id: 'importBatch' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/import/:id/progress', params: { id: 'importBatch' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/import/:id/start', params: { id: 'importBatch' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/elders', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/elders/new', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/elders', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/elders/:id', params: { id: 'elder' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/elders/:id/care', params: { id: 'elder' }, body: { visit_interval_days: '14' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/elders/:id/close', params: { id: 'elder' }, body: { reason: '搬去县城和子女同住' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/teams', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/teams', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/teams/:id', params: { id: 'team' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/teams/:id/members', params: { id: 'team' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/teams/:id/memberships/:membershipId', params: { id: 'team', membershipId: 'membership' }, body: { decision: 'approve' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/teams/:id/leader', params: { id: 'team' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/teams/:id/activities', params: { id: 'team' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/hours/new', expect: { anonymous: S, volunteer: A, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/hours', expect: { anonymous: S, volunteer: A, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/hours/recipients', expect: { anonymous: S, volunteer: A, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/hours/records/:id', params: { id: 'record' }, expect: { anonymous: [S, S], volunteer: [A, 404], coordinator: [A, 404], clerk: [404, 404], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/hours/records/:id/approve', params: { id: 'record' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, 403] }, note: "home is the volunteer's own record (she may read it, not decide it); the away record was logged by the admin, and nobody decides what they entered (403)" },
  { method: 'POST', url: '/hours/records/:id/reject', params: { id: 'record' }, body: { reason: '时间与老人确认的不一致' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, 403] }, note: 'as approve' },
  { method: 'POST', url: '/hours/records/:id/reverse', params: { id: 'record' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/hours/queue', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/hours/queue/approve', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/hours', expect: { anonymous: S, volunteer: A, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/passbook', expect: { anonymous: S, volunteer: A, coordinator: 403, clerk: 403, office: 403, 'office-city': 403, admin: 403 } },
  { method: 'GET', url: '/passbook/statement', expect: { anonymous: S, volunteer: A, coordinator: 403, clerk: 403, office: 403, 'office-city': 403, admin: 403 } },
  { method: 'GET', url: '/hours/standard', expect: anySignedIn, note: 'the standard is public within the network: every role reads it; only the top office changes it' },
  { method: 'POST', url: '/hours/standard', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: 403, 'office-city': 403, admin: A } },
  { method: 'POST', url: '/hours/policy', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: 403, 'office-city': 403, admin: A } },
  { method: 'GET', url: '/activities', expect: { anonymous: S, volunteer: A, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/activities/:id/sign-in', params: { id: 'activity' }, expect: { anonymous: [S, S], volunteer: [404, 404], coordinator: [A, 404], clerk: [404, 404], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/activities/:id/sign-in', params: { id: 'activity' }, expect: { anonymous: [S, S], volunteer: [404, 404], coordinator: [A, 404], clerk: [404, 404], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/activities/:id/sign-in/code', params: { id: 'activity' }, expect: { anonymous: [S, S], volunteer: [404, 404], coordinator: [A, 404], clerk: [404, 404], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/activities/:id/close', params: { id: 'activity' }, expect: { anonymous: [S, S], volunteer: [404, 404], coordinator: [A, 404], clerk: [404, 404], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/activities/check-in/:session/:code', params: { session: 'session', code: 'checkInCode' }, expect: { anonymous: [A, A], volunteer: [A, A], coordinator: [A, A], clerk: [A, A], office: [A, A], 'office-city': [A, A], admin: [A, A] }, note: 'public by design: the QR code on the screen at the venue is exchanged for a ticket, then sign-in' },
  { method: 'GET', url: '/activities/check-in/:session/t/:ticket', params: { session: 'session', ticket: 'ticket' }, expect: { anonymous: [S, S], volunteer: [A, A], coordinator: [403, 403], clerk: [403, 403], office: [403, 403], 'office-city': [403, 403], admin: [403, 403] }, note: 'any member holding a current ticket (from the QR code at the venue) checks in, wherever they live; staff without a member record get 403' },
  { method: 'POST', url: '/activities/check-in/:session/t/:ticket', params: { session: 'session', ticket: 'ticket' }, expect: { anonymous: [S, S], volunteer: [A, A], coordinator: [403, 403], clerk: [403, 403], office: [403, 403], 'office-city': [403, 403], admin: [403, 403] }, note: 'as the GET' },
  { method: 'GET', url: '/coverage', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/coverage/elders/:id', params: { id: 'elder' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/sites', expect: publicRoute, note: 'public list of partner sites' },
  { method: 'GET', url: '/sites/new', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/sites', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/sites/:id/manage', params: { id: 'site' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/sites/:id/items', params: { id: 'site' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/sites/:id/items/:itemId/stock', params: { id: 'site', itemId: 'item' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/sites/:id/items/:itemId/active', params: { id: 'site', itemId: 'item' }, body: { active: '0' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/sites/:id/items/:itemId', params: { id: 'site', itemId: 'item' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'name and price of an item: the site clerks keep the catalogue' },
  { method: 'POST', url: '/sites/:id/clerks', params: { id: 'site' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/sites/:id/clerks/:userId/remove', params: { id: 'site', userId: 'siteClerk' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'like adding a clerk: coordinators and offices over the site, not the clerks themselves' },
  { method: 'POST', url: '/sites/:id/details', params: { id: 'site' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/sites/:id/active', params: { id: 'site' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'closing or reopening a site; the minimal body has no reason (422)' },
  { method: 'GET', url: '/counter', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: A, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/counter/scan/:token', params: { token: 'memberToken' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, A], clerk: [A, A], office: [A, A], 'office-city': [A, A], admin: [A, A] }, note: 'a card from any county is served at a site the user works at (redemption across counties); the token only identifies the member' },
  { method: 'GET', url: '/counter/:siteId', params: { siteId: 'site' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/counter/:siteId/identify', params: { siteId: 'site' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/counter/:siteId/identify-elder', params: { siteId: 'site' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'the search itself covers only the elders of the site county' },
  { method: 'POST', url: '/counter/:siteId/reservations', params: { siteId: 'site' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'a coordinator or the clerk puts an elder of the site county on a reservation list' },
  { method: 'GET', url: '/counter/:siteId/e/:ref', params: { siteId: 'site', ref: 'counterElder' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'the reference is an HMAC of (site, elder), made only by a lookup in the site county' },
  { method: 'POST', url: '/counter/:siteId/e/:ref/baskets', params: { siteId: 'site', ref: 'counterElder' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/counter/:siteId/m/:ref', params: { siteId: 'site', ref: 'counterMember' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/counter/:siteId/m/:ref/baskets', params: { siteId: 'site', ref: 'counterMember' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/counter/:siteId/baskets/:id', params: { siteId: 'site', id: 'basket' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/counter/:siteId/baskets/:id/confirm', params: { siteId: 'site', id: 'basket' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/counter/:siteId/baskets/:id/attest', params: { siteId: 'site', id: 'basket' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'the clerk confirmation of an elder voucher basket; a member basket refuses it (409)' },
  { method: 'POST', url: '/counter/:siteId/baskets/:id/cancel', params: { siteId: 'site', id: 'basket' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'POST', url: '/counter/:siteId/baskets/:id/void', params: { siteId: 'site', id: 'basket' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [404, A], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/gifts', expect: { anonymous: S, volunteer: A, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/gifts', expect: { anonymous: S, volunteer: A, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/gifts/relatives', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/vouchers', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/vouchers', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/requests', expect: { anonymous: S, volunteer: A, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/requests', expect: { anonymous: S, volunteer: A, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/requests/:id/accept', params: { id: 'request' }, expect: { anonymous: [S, S], volunteer: [A, 404], coordinator: [A, A], clerk: [403, 403], office: [A, A], 'office-city': [A, A], admin: [A, A] }, note: 'only a member login accepts (staff: 422 no member login); a request of another county reads as missing (404)' },
  // The away request is paid from 罗春兰's own wallet: only she confirms it (staff in scope may cancel it); out of scope reads as missing.
  { method: 'POST', url: '/requests/:id/confirm', params: { id: 'request' }, expect: { anonymous: [S, S], volunteer: [404, 404], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, 403], admin: [A, 403] } },
  { method: 'POST', url: '/requests/:id/cancel', params: { id: 'request' }, expect: { anonymous: [S, S], volunteer: [404, 404], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/clearing', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/clearing/settlements', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'GET', url: '/policy', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: 403, 'office-city': 403, admin: A } },
  { method: 'POST', url: '/policy/versions', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: 403, 'office-city': 403, admin: A } },
  { method: 'POST', url: '/policy/versions/:id/withdraw', path: '/policy/versions/1/withdraw', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: 403, 'office-city': 403, admin: A }, note: 'version 1 is in force: the administrator is answered 409 (cannot withdraw), everyone else never reaches it' },
  { method: 'GET', url: '/reports', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A }, note: 'sends an office to the report of its own region' },
  { method: 'GET', url: '/reports/:code', params: { code: 'region' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/reports/:code/monthly', params: { code: 'region' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/reports/:code/monthly.xlsx', params: { code: 'region' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/reports/:code/monthly.csv', params: { code: 'region' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/reports/visits', expect: { anonymous: S, volunteer: 403, coordinator: A, clerk: 403, office: A, 'office-city': A, admin: A }, note: 'the navigation entry: sends to the overdue-visits report of the own region' },
  { method: 'GET', url: '/reports/:code/visits', params: { code: 'region' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [A, 404], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'coordinators also see the overdue visits of their area' },
  { method: 'GET', url: '/reports/:code/teams', params: { code: 'region' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/reports/:code/roster', params: { code: 'region' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/reports/:code/roster.csv', params: { code: 'region' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/reports/:code/ledger', params: { code: 'region' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] } },
  { method: 'GET', url: '/reports/liability', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A }, note: 'sends an office to the liability view of its own region (issue 20)' },
  { method: 'GET', url: '/reports/:code/liability', params: { code: 'region' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'another region answers like a missing one' },
  { method: 'GET', url: '/reports/fund', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A }, note: 'offices keep their counties\' funds, the top office the network fund' },
  { method: 'POST', url: '/reports/fund/entries', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A }, note: 'the scope named in the form is checked by the domain (404 for a fund not kept)' },
  { method: 'POST', url: '/reports/fund/rates', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: 403, 'office-city': 403, admin: A }, note: 'valuation rates: the top office only' },
  { method: 'GET', url: '/reports/targets', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: 403, 'office-city': 403, admin: A }, note: 'the top office (admin of the province) only' },
  { method: 'POST', url: '/reports/targets', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: 403, 'office-city': 403, admin: A }, note: 'the top office (admin of the province) only' },
  { method: 'GET', url: '/certificates', expect: anySignedIn, note: "a member's own requests and certificates; a county office's requests; others see the explanation only" },
  { method: 'GET', url: '/certificates/new', expect: { anonymous: S, volunteer: A, coordinator: 403, clerk: 403, office: 403, 'office-city': 403, admin: 403 }, note: 'staff ask for a member with ?member=<id>; without it only a member asks for herself' },
  { method: 'POST', url: '/certificates/requests', expect: { anonymous: S, volunteer: A, coordinator: 403, clerk: 403, office: 403, 'office-city': 403, admin: 403 }, note: 'the minimal body asks for the asker herself (all time)' },
  { method: 'POST', url: '/certificates/requests/:id/issue', params: { id: 'certificateRequest' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [403, 403], admin: [403, 403] }, note: 'only the county office of the request issues (docs/RECORDS.md); another county office gets 404' },
  { method: 'POST', url: '/certificates/requests/:id/decline', params: { id: 'certificateRequest' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [403, 403], admin: [403, 403] }, note: 'as issue (the minimal body has no reason: 422)' },
  { method: 'GET', url: '/certificates/:id', params: { id: 'certificate' }, expect: { anonymous: [S, S], volunteer: [A, 404], coordinator: [A, 404], clerk: [404, 404], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'the member herself, the issuing county office, staff with the member in scope' },
  { method: 'POST', url: '/certificates/:id/revoke', params: { id: 'certificate' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [403, 403], admin: [403, 403] }, note: 'the issuing county office only (the minimal body has no reason: 422)' },
  { method: 'POST', url: '/certificates/seal', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': 403, admin: 403 }, note: 'a county office uploads its own seal (no file: 422)' },
  { method: 'GET', url: '/verify/:number', params: { number: 'certificateNumber' }, expect: { anonymous: [A, A], volunteer: [A, A], coordinator: [A, A], clerk: [A, A], office: [A, A], 'office-city': [A, A], admin: [A, A] }, note: 'public by design: the QR code on a printed certificate; the name is masked' },
  { method: 'GET', url: '/records/export', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/records/export', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A }, note: 'the region is checked against the scope by the domain (the minimal body names none: 422)' },
  { method: 'GET', url: '/transparency', expect: publicRoute, note: 'public figures per county, no personal data' },
  { method: 'GET', url: '/transparency/chain', expect: publicRoute, note: 'the public chain: kinds and counties of each side, never an id' },
  { method: 'GET', url: '/transparency/verify-public-ledger.mjs', expect: publicRoute, note: 'the public verifier (tools/)' },
  { method: 'GET', url: '/transparency/checkpoints.json', expect: publicRoute, note: 'signed checkpoints and public keys, no personal data' },
  { method: 'GET', url: '/stars', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/stars/:id/publish', params: { id: 'starAward' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'the office of the awarding region (or above it) puts a proposed star on notice' },
  { method: 'POST', url: '/stars/:id/award', params: { id: 'starAward' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'a proposed star is not yet on notice: 409 after the access checks' },
  { method: 'POST', url: '/stars/objections/:id/resolve', params: { id: 'starObjection' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'the minimal body has no decision: 422 after the access checks' },
  { method: 'POST', url: '/stars/objections/:id/phone', params: { id: 'starObjection' }, expect: { anonymous: [S, S], volunteer: [403, 403], coordinator: [403, 403], clerk: [403, 403], office: [A, 404], 'office-city': [404, A], admin: [A, A] }, note: 'the full number of an objector, audited and limited per user' },
  { method: 'GET', url: '/stars/policy', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: A, 'office-city': A, admin: A } },
  { method: 'POST', url: '/stars/policy', expect: { anonymous: S, volunteer: 403, coordinator: 403, clerk: 403, office: 403, 'office-city': 403, admin: A }, note: 'only the top office publishes the star policy' },
  { method: 'GET', url: '/notices', expect: publicRoute, note: 'the public notices (公示): names masked' },
  { method: 'POST', url: '/notices/:id/objections', params: { id: 'starNotice' }, expect: { anonymous: [A, A], volunteer: [A, A], coordinator: [A, A], clerk: [A, A], office: [A, A], 'office-city': [A, A], admin: [A, A] }, note: 'anyone may object to a notice (the minimal body: 422)' },
];

// ---------------------------------------------------------------- the app

export interface MatrixApp {
  app: FastifyInstance;
  db: Db;
  secrets: Secrets;
  clock: TestClock;
  /** Every route the app registered, as 'METHOD /pattern' (HEAD routes left out: they run the GET handler). */
  routes: string[];
  fixtures: Fixtures;
}

export function routeKey(method: string, url: string): string {
  return `${method} ${url}`;
}

/**
 * The app on an in-memory database with the whole demo network seeded (about
 * ten seconds: password hashing), the real route list, and the fixtures.
 */
export async function matrixApp(): Promise<MatrixApp> {
  const db = openDatabase(':memory:');
  const secrets = testSecrets();
  const clock = new TestClock();
  await seedDemoNetwork(db, secrets, clock.now());
  const routes: string[] = [];
  const collect = (route: RouteOptions) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(routeKey(method, route.url));
  };
  const app = await buildApp({ db, secrets, clock: clock.now, checkpointKeys: matrixCheckpointKeys, signInAttemptsPerAddress: 1000, onRoute: collect });
  await app.ready();
  const fixtures = makeFixtures(app, db, secrets, clock);
  return { app, db, secrets, clock, routes: [...new Set(routes)].sort(), fixtures };
}

/** The network key of the matrix app (certificates are signed with it). */
const matrixCheckpointKeys = generateCheckpointKeys();

function one<T>(db: Db, sql: string, ...args: unknown[]): T {
  const row = db.$client.prepare(sql).get(...args) as T | undefined;
  if (row === undefined) throw new Error(`fixture not found: ${sql} ${JSON.stringify(args)}`);
  return row;
}

function idOf(db: Db, sql: string, ...args: unknown[]): string {
  return String(one<{ id: number }>(db, sql, ...args).id);
}

function must<T>(outcome: { ok: true; value: T } | { ok: false; problems: unknown }, what: string): T {
  if (!outcome.ok) throw new Error(`fixture ${what}: ${JSON.stringify(outcome.problems)}`);
  return outcome.value;
}

const homeVillage = '433123101001';
const awayVillage = '430524101001';

/** Looks up (and where the demo has none, makes) a home and an away copy of every object a URL names. */
function makeFixtures(app: FastifyInstance, db: Db, secrets: Secrets, clock: TestClock): Fixtures {
  const now = clock.now();
  const adminId = Number(idOf(db, `SELECT id FROM users WHERE phone = ?`, demoPhone('admin')));
  const admin = actorOf(db, adminId);
  const people = { db, keys: secrets, now: clock.now };
  const hours = { db, now: clock.now };
  const volunteerMemberId = Number(one<{ member_id: number }>(db, `SELECT member_id FROM users WHERE phone = ?`, demoPhone('volunteer')).member_id);

  // An active member other than the demo volunteer herself, in each village.
  const member = (village: string) => idOf(db, `SELECT id FROM members WHERE village_code = ? AND status = 'active' AND id <> ? ORDER BY id LIMIT 1`, village, volunteerMemberId);
  // The demo has one pending self-registration (老家寨村); add one in 隆回县.
  must(selfRegisterMember(people, { realName: '覃秋菊', phone: '13912349002', idNumber: makeIdNumber('430524', '1962-05-01', 901), villageCode: awayVillage }), 'pending member');
  const pending = (village: string) => idOf(db, `SELECT id FROM members WHERE village_code = ? AND status = 'pending' ORDER BY id LIMIT 1`, village);
  const token = (memberId: string) => openCardToken(secrets, one<{ ciphertext: string }>(db, `SELECT card_token_ciphertext AS ciphertext FROM members WHERE id = ?`, memberId).ciphertext);
  const elder = (village: string) => idOf(db, `SELECT id FROM elders WHERE village_code = ? ORDER BY id LIMIT 1`, village);
  const team = (region: string) => idOf(db, `SELECT id FROM teams WHERE region_code = ? ORDER BY id LIMIT 1`, region);
  const homeTeam = team('433123101');
  const awayTeam = team('430524');
  // A pending request to join each team, from a member of that area.
  const askToJoin = (teamId: string, village: string) => {
    const memberId = idOf(db, `SELECT id FROM members WHERE village_code = ? AND status = 'active' AND id NOT IN (SELECT member_id FROM team_memberships WHERE team_id = ?) ORDER BY id LIMIT 1`, village, teamId);
    return String(db.$client.prepare(`INSERT INTO team_memberships (team_id, member_id, status, requested_at_ms) VALUES (?, ?, 'pending', ?)`).run(teamId, memberId, now).lastInsertRowid);
  };
  // Activities of today with an open sign-in session, so the QR code and ticket are current.
  const homeActivity = idOf(db, `SELECT id FROM team_activities WHERE team_id = ? ORDER BY id DESC LIMIT 1`, homeTeam);
  const awayActivity = String(must(createActivity(people, actorWithRoles(db, { userId: adminId, roles: [{ role: 'admin', regionCode: '430000' }] }), Number(awayTeam), { activityDate: '2026-11-23', place: '旺溪村小学', theme: '冬季防火讲座' }), 'away activity').activityId);
  const session = (activityId: string) => must(openSignIn(hours, admin, Number(activityId), 'culture_sport'), `session ${activityId}`);
  const homeSession = session(homeActivity);
  const awaySession = session(awayActivity);
  const code = (s: { id: number; secret: string }) => checkInPath(s, now).split('/').at(-1)!;
  // Home: the demo volunteer's own pending record (she logged it, so staff may review it).
  // Away: the pending record of 隆回县, which the admin logged (nobody reviews what they entered).
  const homeRecord = idOf(db, `SELECT id FROM service_records WHERE volunteer_member_id = ? AND status = 'pending' ORDER BY id LIMIT 1`, volunteerMemberId);
  const awayRecord = idOf(db, `SELECT id FROM service_records WHERE village_code = ? AND status = 'pending' ORDER BY id LIMIT 1`, awayVillage);
  const homeSite = idOf(db, `SELECT id FROM partner_sites WHERE village_code = ? ORDER BY id LIMIT 1`, homeVillage);
  const awaySite = idOf(db, `SELECT id FROM partner_sites WHERE village_code = ? ORDER BY id LIMIT 1`, awayVillage);
  const item = (siteId: string) => idOf(db, `SELECT id FROM site_items WHERE site_id = ? ORDER BY id LIMIT 1`, siteId);
  const basket = (siteId: string) => idOf(db, `SELECT id FROM redemptions WHERE site_id = ? ORDER BY id LIMIT 1`, siteId);
  const memberAt = (siteId: string) => one<{ member_id: number }>(db, `SELECT member_id FROM redemptions WHERE site_id = ? ORDER BY id LIMIT 1`, siteId).member_id;
  // The demo's open service request is in 老家寨村; add a member's own in 隆回县.
  const awayRequester = Number(idOf(db, `SELECT id FROM members WHERE real_name = '罗春兰' AND village_code = ?`, awayVillage));
  must(postRequest({ db, keys: secrets, now: clock.now }, admin, {
    requesterMemberId: awayRequester, elderId: null, payer: 'wallet', serviceCategory: 'cleaning', description: '打扫院子', scheduledFor: '2026-12-02T09:00',
    place: '旺溪村', offeredMinutes: 60, idempotencyKey: randomUUID(), actorMemberId: awayRequester,
  }), 'away request');
  const request = (village: string) => idOf(db, `SELECT id FROM service_requests WHERE village_code = ? ORDER BY id LIMIT 1`, village);
  // Finished import batches (a finished batch cannot be started again, so no import runs after a row's savepoint is rolled back).
  const batch = (region: string, sha: string) =>
    String(db.$client.prepare(`INSERT INTO import_batches (kind, file_sha256, file_name, scope_region_code, status, created_by_user_id, created_at_ms, finished_at_ms)
      VALUES ('members', ?, 'roster.xlsx', ?, 'done', ?, ?, ?)`).run(sha, region, adminId, now, now).lastInsertRowid);

  // A sign-in of a member-volunteer in each county (the accounts pages name them).
  const account = (village: string, phone: string) => String(insertUser(db, { phone, displayName: '测试账户', passwordHash: 'not-a-hash', mustChangePassword: true, roles: [{ role: 'volunteer', regionCode: village }] }, now));

  const homeMember = member(homeVillage);
  const awayMember = member(awayVillage);
  // Star awards written directly: a proposed one and one on notice with an open objection, in each county.
  const starAward = (memberId: string, village: string, status: string) => String(db.$client.prepare(`INSERT INTO star_awards
    (member_id, star, status, service_minutes, village_code, awarding_region_code, proposed_at_ms, notice_working_days, notice_start_date, notice_end_date)
    VALUES (?, ?, ?, 6000, ?, ?, ?, 5, '2026-11-24', '2026-11-30')`).run(memberId, status === 'proposed' ? 1 : 2, status, village, village.slice(0, 6), now).lastInsertRowid);
  const homeNotice = starAward(homeMember, homeVillage, 'on_notice');
  const awayNotice = starAward(awayMember, awayVillage, 'on_notice');
  const objection = (awardId: string) => String(db.$client.prepare(`INSERT INTO star_objections (award_id, reason, phone_ciphertext, phone_masked, address_hash, status, created_at_ms)
    VALUES (?, '她这个月没有来', ?, '139****0000', 'hash', 'open', ?)`).run(awardId, encryptText(secrets, '13900000000', objectionPhonePurpose), now).lastInsertRowid);
  const certificates = certificateFixtures(db, secrets, clock, adminId);
  // A message to the demo volunteer (home) and one to the city office's user (away): only its reader may mark it read.
  const message = (recipient: string) => String(db.$client.prepare(`INSERT INTO messages (recipient_user_id, kind, params_json, created_at_ms)
    VALUES ((SELECT id FROM users WHERE phone = ?), 'credits_gift', '{"giverName":"亲人","amountMinutes":30}', ?)`).run(recipient, now).lastInsertRowid);
  return {
    ...certificates,
    message: { home: message(demoPhone('volunteer')), away: message(demoPhone('office-city')) },
    starAward: { home: starAward(homeMember, homeVillage, 'proposed'), away: starAward(awayMember, awayVillage, 'proposed') },
    starNotice: { home: homeNotice, away: awayNotice },
    starObjection: { home: objection(homeNotice), away: objection(awayNotice) },
    member: { home: homeMember, away: awayMember },
    pendingMember: { home: pending(homeVillage), away: pending(awayVillage) },
    memberToken: { home: token(homeMember), away: token(awayMember) },
    elder: { home: elder(homeVillage), away: elder(awayVillage) },
    team: { home: homeTeam, away: awayTeam },
    membership: { home: askToJoin(homeTeam, homeVillage), away: askToJoin(awayTeam, awayVillage) },
    activity: { home: homeActivity, away: awayActivity },
    session: { home: String(homeSession.id), away: String(awaySession.id) },
    checkInCode: { home: code(homeSession), away: code(awaySession) },
    ticket: { home: ticketFor(homeSession, now), away: ticketFor(awaySession, now) },
    record: { home: homeRecord, away: awayRecord },
    site: { home: homeSite, away: awaySite },
    item: { home: item(homeSite), away: item(awaySite) },
    // A clerk of each site (the demo clerk works site 1, the away site; add one at the home site).
    siteClerk: {
      home: String(insertUser(db, { phone: '13912349103', displayName: '测试店员', passwordHash: 'not-a-hash', mustChangePassword: true, roles: [{ role: 'clerk', siteId: Number(homeSite) }] }, now)),
      away: idOf(db, `SELECT user_id AS id FROM user_roles WHERE role = 'clerk' AND site_id = ? ORDER BY user_id LIMIT 1`, awaySite),
    },
    counterMember: { home: memberReference(app, Number(homeSite), memberAt(homeSite)), away: memberReference(app, Number(awaySite), memberAt(awaySite)) },
    counterElder: { home: elderReference(app, Number(homeSite), Number(elder(homeVillage))), away: elderReference(app, Number(awaySite), Number(elder(awayVillage))) },
    basket: { home: basket(homeSite), away: basket(awaySite) },
    request: { home: request(homeVillage), away: request(awayVillage) },
    importBatch: { home: batch('433123101', 'a'.repeat(64)), away: batch('430524', 'b'.repeat(64)) },
    region: { home: '433123101', away: '430524101' },
    account: { home: account(homeVillage, '13912349101'), away: account(awayVillage, '13912349102') },
  };
}

/**
 * Certificates (src/domain/records): in each county (凤凰县 home, 隆回县 away) a member with
 * approved hours asks; one request stays pending, the other member's is issued. Home's issued
 * certificate is the demo volunteer's own (she may read it).
 */
function certificateFixtures(db: Db, secrets: Secrets, clock: TestClock, adminId: number): Pick<Fixtures, 'certificateRequest' | 'certificate' | 'certificateNumber'> {
  const context = { db, keys: secrets, now: clock.now };
  const servedIn = (county: string, not: number) => Number(one<{ id: number }>(db, `SELECT volunteer_member_id AS id FROM service_records WHERE county_code = ? AND status = 'approved'
    AND volunteer_member_id <> ? ORDER BY volunteer_member_id LIMIT 1`, county, not).id);
  const volunteerMemberId = Number(one<{ member_id: number }>(db, `SELECT member_id FROM users WHERE phone = ?`, demoPhone('volunteer')).member_id);
  const activeIn = (county: string, not: number) => Number(one<{ id: number }>(db, `SELECT m.id FROM members m JOIN regions r ON r.code = m.village_code
    WHERE r.path LIKE '%' || ? || '%' AND m.status = 'active' AND m.id <> ? ORDER BY m.id LIMIT 1`, county, not).id);
  const ask = (memberId: number) => must(requestCertificate(context, actorWithRoles(db, { userId: adminId, roles: [{ role: 'admin', regionCode: '430000' }] }), { memberId, allTime: true }), `request ${memberId}`).requestId;
  const issue = (county: string, requestId: number) => must(issueCertificate(context, matrixCheckpointKeys, actorWithRoles(db, { userId: adminId, roles: [{ role: 'office', regionCode: county }] }), requestId), `certificate ${county}`);
  const awayServed = servedIn('430524', 0);
  const awayIssued = issue('430524', ask(awayServed));
  const homeIssued = issue('433123', ask(volunteerMemberId));
  return {
    // Pending: another active member of each county (issuing it may find no hours there: 409, still past the access checks).
    certificateRequest: { home: String(ask(activeIn('/433123/', volunteerMemberId))), away: String(ask(activeIn('/430524/', awayServed))) },
    certificate: { home: String(homeIssued.certificateId), away: String(awayIssued.certificateId) },
    certificateNumber: { home: homeIssued.number, away: awayIssued.number },
  };
}

/** The URL of a row for one side, parameters filled from the fixtures. */
export function fillUrl(row: Pick<MatrixRow, 'url' | 'params' | 'query' | 'path'>, fixtures: Fixtures, side: Side): string {
  if (row.path) return row.path;
  const path = row.url.replace(/:([A-Za-z]+)/g, (_whole, name: string) => {
    const kind = row.params?.[name];
    if (!kind) throw new Error(`${row.url}: no fixture for :${name}`);
    return encodeURIComponent(fixtures[kind][side]);
  });
  const query = Object.entries(row.query ?? {}).map(([name, kind]) => `${name}=${encodeURIComponent(fixtures[kind][side])}`);
  return query.length > 0 ? `${path}?${query.join('&')}` : path;
}

// ---------------------------------------------------------------- sessions

export interface Session {
  asker: Asker;
  /** The Cookie header (session cookies and the CSRF secret), fixed after sign-in. */
  cookie: string;
  csrfToken: string;
}

/** Signs in every demo role once (anonymous only fetches the sign-in page for its CSRF token). */
export async function signInAll(app: FastifyInstance): Promise<Record<Asker, Session>> {
  const sessions = {} as Record<Asker, Session>;
  for (const asker of askers) {
    const browser = new TestBrowser(app);
    if (asker === 'anonymous') {
      await browser.get('/sign-in');
    } else {
      const response = await browser.signIn(demoPhone(asker), demoPassword);
      if (response.statusCode !== 303) throw new Error(`sign-in as ${asker} failed: ${response.statusCode}`);
      await browser.get('/account'); // a page with a form, for a CSRF token made after sign-in
    }
    if (!browser.csrfToken) throw new Error(`no CSRF token for ${asker}`);
    sessions[asker] = { asker, cookie: browser.cookieHeader(), csrfToken: browser.csrfToken };
  }
  return sessions;
}

export type Response = Awaited<ReturnType<FastifyInstance['inject']>>;

/** A form as sent: a field given several values is repeated (`a=1&a=2`). */
export type Form = Record<string, string | readonly string[]>;

export function encodeForm(form: Form): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) for (const one of [value].flat()) params.append(name, one);
  return params.toString();
}

export interface SendOptions {
  /** More inject options (headers are merged; remoteAddress to dodge per-address rate limits). */
  inject?: Partial<InjectOptions>;
  /** Runs after the answer and before the rollback: what the request wrote is still visible. */
  beforeRollback?: (response: Response) => void;
}

/**
 * One request as a session, inside a savepoint that is rolled back after the
 * answer, so it leaves the database as it found it. Cookies the answer sets
 * (a sign-out) are not kept: the session stays as it was.
 */
export async function send(app: FastifyInstance, db: Db, session: Session, method: 'GET' | 'POST', url: string, body: Form = {}, options: SendOptions = {}): Promise<Response> {
  const { headers: extraHeaders, ...extra } = options.inject ?? {};
  const injectOptions: InjectOptions = {
    method,
    url,
    headers: { cookie: session.cookie, ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...(extraHeaders as Record<string, string> | undefined) },
    ...(method === 'POST' ? { payload: encodeForm({ _csrf: session.csrfToken, ...body }) } : {}),
    ...extra,
  };
  db.$client.exec('SAVEPOINT access_matrix');
  try {
    const response = await app.inject(injectOptions);
    options.beforeRollback?.(response);
    return response;
  } finally {
    db.$client.exec('ROLLBACK TO access_matrix');
    db.$client.exec('RELEASE access_matrix');
  }
}

const csrfMessage = translator('zh-CN')('errors.csrf.message');
const validationStatuses = new Set([400, 409, 410, 413, 422]);

/** What a response means for authorization, or a string saying why it fits no outcome. */
export function classify(method: 'GET' | 'POST', response: Response): Outcome | `unexpected: ${string}` {
  const status = response.statusCode;
  const location = String(response.headers.location ?? '');
  if (status >= 500) return `unexpected: ${status} server error`;
  if (status === 303 && location.startsWith('/sign-in?next=')) return 'sign-in';
  if (status === 403) return response.body.includes(csrfMessage) ? 'unexpected: 403 CSRF refusal (the test sent a bad token)' : 403;
  if (status === 404) return 404;
  if (status === 401) return 'unexpected: 401';
  if (status >= 200 && status < 400) {
    if (location.startsWith('/account/password')) return 'unexpected: sent to change password';
    return 'allow';
  }
  if (method === 'POST' && validationStatuses.has(status)) return 'allow';
  return `unexpected: ${status}`;
}

/** The expectation of a row for an asker and side. */
export function expected(row: MatrixRow, asker: Asker, side: Side): Outcome {
  const rule = row.expect[asker];
  if (Array.isArray(rule)) return rule[side === 'home' ? 0 : 1]!;
  return rule as Outcome;
}

/** Rows whose URL names an object are asked about both sides; the others once. */
export function sidesOf(row: Pick<MatrixRow, 'params' | 'query' | 'path'>): readonly Side[] {
  if (row.path) return ['home'];
  return Object.keys(row.params ?? {}).length + Object.keys(row.query ?? {}).length > 0 ? sides : ['home'];
}

export { publicRoute, anySignedIn };
