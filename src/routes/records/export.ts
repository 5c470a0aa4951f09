import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Problem } from '../../domain/kernel/outcome.ts';
import { exportRegions, nationalExport, type NationalExport } from '../../domain/records/national-export.ts';
import { sectionsCsv, writeMonthlyXlsx } from '../../domain/reports/exports.ts';
import { shanghaiDateOf } from '../../domain/hours/time.ts';
import { Form } from '../../lib/form-schema.ts';
import { problemsToForm, shapeProblems, typedValues } from '../../plugins/forms.ts';
import { HttpProblem } from '../../plugins/http-errors.ts';
import type { RouteApp } from '../../plugins/route-options.ts';
import { recordsContext } from './support.ts';

const ExportForm = Form.object({
  region: Form.optional(Form.text(12)), from: Form.optional(Form.text(40)), to: Form.optional(Form.text(40)), format: Form.optional(Form.oneOf(['xlsx', 'csv'])),
  include_id: Form.checkbox(), reason: Form.optional(Form.text(400)),
});

type ExportValues = { region: string; from: string; to: string; format: string; include_id: boolean; reason: string };

function exportPage(app: RouteApp, request: FastifyRequest, reply: FastifyReply, values: ExportValues, problems: Problem[] = [], status = 200) {
  const regions = exportRegions(app.db, request.requireUser().actor);
  if (regions === null) throw new HttpProblem(403, 'records.export.none');
  const errors = problemsToForm(request.t, problems);
  return reply.page('pages/records/export', { regions, values, errors: errors.summary, byField: errors.byField }, { titleKey: 'records.export.title', status });
}

function attachment(asciiName: string, chineseName: string): string {
  return `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(chineseName)}`;
}

function sendExport(reply: FastifyReply, result: NationalExport, format: string) {
  const base = `${result.region.code}-${result.from}-${result.to}-volunteer-records`;
  const chinese = `${result.region.nameZh}-${result.from}至${result.to}-志愿服务记录`;
  reply.header('Cache-Control', 'no-store');
  if (format === 'csv') {
    reply.header('Content-Type', 'text/csv; charset=utf-8');
    reply.header('Content-Disposition', attachment(`${base}.csv`, `${chinese}.csv`));
    return reply.send(sectionsCsv(result.sections));
  }
  const stream = new PassThrough();
  reply.header('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  reply.header('Content-Disposition', attachment(`${base}.xlsx`, `${chinese}.xlsx`));
  writeMonthlyXlsx(stream, result.sections, { title: chinese }).catch((error: unknown) => stream.destroy(error as Error));
  return reply.send(stream);
}

/** The national data export (docs/RECORDS.md): a form, and a POST that answers the file (the reason for ID numbers never goes into a URL). */
export function registerExportRoutes(app: RouteApp): void {
  app.get('/records/export', async (request, reply) => {
    const today = shanghaiDateOf(app.clock());
    return exportPage(app, request, reply, { region: '', from: `${today.slice(0, 4)}-01-01`, to: today, format: 'xlsx', include_id: false, reason: '' });
  });

  app.post('/records/export', { schema: { body: ExportForm }, attachValidation: true }, async (request, reply) => {
    const typed = typedValues(request.body);
    const values = {
      region: (typed.region ?? '').trim(), from: (typed.from ?? '').trim(), to: (typed.to ?? '').trim(), format: typed.format === 'csv' ? 'csv' : 'xlsx',
      include_id: typed.include_id === '1', reason: (typed.reason ?? '').trim(),
    };
    const shape = shapeProblems(request);
    if (shape.length > 0) return exportPage(app, request, reply, values, shape, 422);
    const result = nationalExport(recordsContext(app), request.requireUser().actor, { regionCode: values.region, from: values.from, to: values.to, includeIdNumbers: values.include_id, reason: values.reason });
    if (!result.ok && result.status === 403) throw new HttpProblem(403, 'records.export.none');
    if (!result.ok) return exportPage(app, request, reply, values, result.problems, result.status);
    return sendExport(reply, result.value, values.format);
  });
}
