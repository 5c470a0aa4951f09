import { Busboy, type BusboyInstance } from '@fastify/busboy';
import type { FastifyInstance } from 'fastify';

export interface UploadedFile {
  fileName: string;
  data: Buffer;
  /** True when the file was larger than the limit (data is then incomplete). */
  truncated: boolean;
}

export const maximumUploadBytes = 10 * 1024 * 1024;

/**
 * Parses multipart/form-data bodies in this plugin's scope into
 * `{ ...fields, file?: UploadedFile }` as a content-type parser, so the body
 * (with its _csrf field) exists before the app's CSRF check in preValidation.
 * @fastify/multipart's attachFieldsToBody runs in preValidation too, but in
 * this child scope its hook would run after the app-level CSRF hook.
 */
export function acceptMultipart(app: FastifyInstance, fileSizeLimitBytes = maximumUploadBytes): void {
  app.addContentTypeParser('multipart/form-data', (request, payload, done) => {
    const fields: Record<string, unknown> = {};
    let finished = false;
    const finish = (error: Error | null) => {
      if (finished) return;
      finished = true;
      done(error, error ? undefined : fields);
    };
    let parser: BusboyInstance;
    try {
      parser = new Busboy({ headers: request.headers as never, limits: { fileSize: fileSizeLimitBytes, files: 1, fields: 20, fieldSize: 2000 } });
    } catch (error) {
      finish(error as Error);
      return;
    }
    parser.on('field', (name: string, value: string) => {
      fields[name] = value;
    });
    parser.on('file', (name: string, stream: NodeJS.ReadableStream & { truncated?: boolean }, fileName: string) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        fields[name] = { fileName: fileName ?? '', data: Buffer.concat(chunks), truncated: Boolean(stream.truncated) } satisfies UploadedFile;
      });
    });
    parser.on('error', (error: Error) => finish(error));
    parser.on('finish', () => finish(null));
    payload.pipe(parser);
  });
}

export function uploadedFile(body: unknown, name: string): UploadedFile | null {
  if (typeof body !== 'object' || body === null) return null;
  const value = (body as Record<string, unknown>)[name];
  if (typeof value === 'object' && value !== null && Buffer.isBuffer((value as UploadedFile).data)) return value as UploadedFile;
  return null;
}
