import type { FastifyRequest } from 'fastify';
import { firstReportMonth, reportMonth } from '../../domain/reports/months.ts';
import { typedValues } from '../../plugins/forms.ts';
import { HttpProblem } from '../../plugins/http-errors.ts';

/** The month of a report's address, or the 400 page saying what is wrong with it (the dashboard, the monthly report and its downloads, the liability view). */
export function reportMonthOf(request: FastifyRequest, nowMs: number): string {
  const asked = reportMonth(typedValues(request.query).month, nowMs);
  if ('month' in asked) return asked.month;
  if (asked.problem === 'format') throw new HttpProblem(400, 'reports.error.month');
  throw new HttpProblem(400, 'reports.error.month_range', { first: firstReportMonth, latest: asked.latest });
}

