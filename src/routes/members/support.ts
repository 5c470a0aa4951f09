import { asc, eq } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { regions, users } from '../../db/schema/core.ts';
import type { Actor, PeopleContext, Problem, Refusal } from '../../domain/members/context.ts';
import type { Translate } from '../../i18n/index.ts';
import { HttpProblem } from '../../plugins/http-errors.ts';

/** The people domain's context for this app: its database, its data keys, its clock. */
export function peopleContext(app: FastifyInstance): PeopleContext {
  return { db: app.db, keys: app.secrets, now: app.clock };
}

/** The signed-in user as the people domain sees them (roles with scopes, and the member they are, if any). */
export function peopleActor(app: FastifyInstance, request: FastifyRequest): Actor {
  const user = request.requireUser();
  const row = app.db.select({ memberId: users.memberId }).from(users).where(eq(users.id, user.id)).get();
  return {
    userId: user.id,
    memberId: row?.memberId ?? null,
    roles: user.actor.grants.map((grant) => ({ role: grant.role, regionCode: grant.regionCode, siteId: grant.siteId })),
    ipAddress: request.ip,
  };
}

export interface FormState<Values> {
  values: Values;
  /** Message per field name, in the user's language. */
  errors: Record<string, string>;
  /** Messages not tied to one field. */
  messages: string[];
  idempotencyKey: string;
}

/** Turns domain problems into messages per field (first problem per field wins) and general messages. */
export function problemsToForm(problems: readonly Problem[], t: Translate): { errors: Record<string, string>; messages: string[] } {
  const errors: Record<string, string> = {};
  const messages: string[] = [];
  for (const problem of problems) {
    const text = t(problem.code, problem.params);
    if (problem.field && !(problem.field in errors)) errors[problem.field] = text;
    else if (!problem.field) messages.push(text);
  }
  return { errors, messages };
}

/** Refusals that are not about a form field (403, 404, 409 on an object) become the app's problem pages. */
export function refuse(refusal: Refusal): never {
  const first = refusal.problems[0];
  throw new HttpProblem(refusal.status, first?.code ?? 'errors.forbidden.message', first?.params);
}

export interface VillageChoice {
  code: string;
  name: string;
  township: string;
}

/** Villages under the given scope paths (all villages when `paths` is null), ordered by path. */
export function villageChoices(app: FastifyInstance, paths: readonly string[] | null, locale: string): VillageChoice[] {
  if (paths !== null && paths.length === 0) return [];
  const rows = app.db
    .select({ code: regions.code, nameZh: regions.nameZh, nameEn: regions.nameEn, parentCode: regions.parentCode, path: regions.path })
    .from(regions)
    .where(eq(regions.level, 'village'))
    .orderBy(asc(regions.path))
    .all()
    .filter((row) => paths === null || paths.some((path) => row.path.startsWith(path)));
  const parents = new Map(app.db.select({ code: regions.code, nameZh: regions.nameZh, nameEn: regions.nameEn }).from(regions).where(eq(regions.level, 'township')).all().map((row) => [row.code, row]));
  const label = (row: { nameZh: string; nameEn: string | null }) => (locale === 'en' && row.nameEn ? row.nameEn : row.nameZh);
  return rows.map((row) => {
    const parent = row.parentCode ? parents.get(row.parentCode) : undefined;
    return { code: row.code, name: label(row), township: parent ? label(parent) : '' };
  });
}

/** Positive integer id from a URL parameter, or null. */
export function parseId(value: string): number | null {
  return /^[1-9]\d{0,9}$/.test(value) ? Number(value) : null;
}

export interface JoinableTeam {
  id: number;
  name: string;
  sponsorUnit: string;
  /** 'active' or 'pending' when the member is already in it or has asked; null otherwise. */
  membership: string | null;
}

/** Teams whose region contains the member's village: the ones a member can ask to join. */
export function teamsToJoin(app: FastifyInstance, memberId: number): JoinableTeam[] {
  return app.db.$client
    .prepare(`SELECT t.id, t.name, t.sponsor_unit AS sponsorUnit,
        (SELECT tm.status FROM team_memberships tm WHERE tm.team_id = t.id AND tm.member_id = m.id AND tm.status IN ('active','pending')) AS membership
      FROM members m JOIN regions v ON v.code = m.village_code
      JOIN teams t JOIN regions tr ON tr.code = t.region_code
      WHERE m.id = ? AND substr(v.path, 1, length(tr.path)) = tr.path
      ORDER BY t.name`)
    .all(memberId) as JoinableTeam[];
}
