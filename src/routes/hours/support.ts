import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DomainContext, Problem } from '../../domain/hours/context.ts';
import { shanghaiDateOf, shanghaiTimeOf } from '../../domain/hours/time.ts';
import { durationText, signedDurationText } from '../../lib/duration.ts';
import { HttpProblem } from '../../plugins/http-errors.ts';

/** The kernel's context for this app: its database, its data keys, its clock. */
export function hoursContext(app: FastifyInstance): DomainContext {
  return { db: app.db, keys: app.secrets, now: app.clock };
}

/** Formatting helpers handed to templates as `it.f`. */
export function formatters(request: FastifyRequest) {
  const t = request.t;
  return {
    minutes: (total: number): string => durationText(t, total),
    signed: (total: number): string => signedDurationText(t, total),
    date: (ms: number) => shanghaiDateOf(ms),
    time: (ms: number) => shanghaiTimeOf(ms),
    dateTime: (ms: number) => `${shanghaiDateOf(ms)} ${shanghaiTimeOf(ms)}`,
    name: (row: { nameZh?: string; nameEn?: string | null }) => (request.locale === 'en' && row.nameEn ? row.nameEn : row.nameZh ?? ''),
    typeName: (row: { typeNameZh: string; typeNameEn: string }) => (request.locale === 'en' ? row.typeNameEn : row.typeNameZh),
    villageName: (row: { villageNameZh: string; villageNameEn?: string | null }) => (request.locale === 'en' && row.villageNameEn ? row.villageNameEn : row.villageNameZh),
  };
}

/** A domain refusal shown as an error page (or fragment) in the user's language. */
export function problemOf(outcome: { status: number; problems: readonly Problem[] }): HttpProblem {
  const first = outcome.problems[0] ?? { code: 'errors.badRequest.message' };
  return new HttpProblem(outcome.status, first.code, first.params);
}
