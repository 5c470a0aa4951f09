import { and, asc, eq, sql } from 'drizzle-orm';
import { importBatches, importRows } from '../../../db/schema/people.ts';
import { decryptBytes, encryptBytes, sha256Hex } from '../../../lib/crypto.ts';
import { allowsRegion, grantsFor, regionScopes } from '../../access/authorize.ts';
import { canImportRosters } from './permissions.ts';
import { findRegion, pageWindow, prepared, failure, nowMs, roleRefusal, success, type Actor, type Outcome, type PeopleContext, type Refusal } from '../members/context.ts';
import { findDuplicateElder, insertElder } from '../elders/register.ts';
import { duplicateRefusalsPerHour, findDuplicateMember, registrationLimitReached, registrationLimitRefusal } from '../members/identity.ts';
import { insertMemberRow } from '../members/register.ts';
import type { RosterKind } from './columns.ts';
import { readRoster } from './roster.ts';
import { checkRosterRows, DuplicateAllowanceUsedUp, type RowProblem } from './validate.ts';
import { audit } from '../../audit/audit.ts';
import { assert, present } from '../../../lib/assert.ts';
import { writeTransaction } from '../../kernel/transaction.ts';

/** The purpose an uploaded roster is sealed under (bound into its tag). */
export const fileContext = 'import-file';

export type BatchRow = typeof importBatches.$inferSelect;

export interface BatchSummary {
  batchId: number;
  kind: RosterKind;
  fileName: string;
  status: BatchRow['status'];
  totalRows: number;
  validRows: number;
  errorRows: number;
  processedRows: number;
  importedRows: number;
  skippedRows: number;
  createdAtMs: number;
  finishedAtMs: number | null;
  /** True when this upload matched a file uploaded before (same content). */
  sameFileAsBefore: boolean;
}

function summarize(batch: BatchRow, sameFileAsBefore = false): BatchSummary {
  return {
    batchId: batch.id, kind: batch.kind, fileName: batch.fileName, status: batch.status, totalRows: batch.totalRows, validRows: batch.validRows,
    errorRows: batch.errorRows, processedRows: batch.processedRows, importedRows: batch.importedRows, skippedRows: batch.skippedRows,
    createdAtMs: batch.createdAtMs, finishedAtMs: batch.finishedAtMs, sameFileAsBefore,
  };
}

/** The staff region the batch is filed under: the actor's widest staff scope. */
function actorScopeRegion(context: PeopleContext, actor: Actor): string | null {
  const codes = grantsFor(actor, canImportRosters).flatMap((grant) => (grant.regionCode ? [grant.regionCode] : []));
  const regionsFound = codes.map((code) => findRegion(context, code)).filter((region) => region !== undefined);
  regionsFound.sort((a, b) => a.path.length - b.path.length);
  return regionsFound[0]?.code ?? null;
}

function batchInScope(context: PeopleContext, actor: Actor, batchId: number): { ok: true; batch: BatchRow } | { ok: false; status: 403 | 404 } {
  const batch = context.db.select().from(importBatches).where(eq(importBatches.id, batchId)).get();
  if (!batch) return { ok: false, status: 404 };
  const region = findRegion(context, batch.scopeRegionCode);
  // Another area's import is answered like a missing one.
  if (!region || !allowsRegion(actor, canImportRosters, region.path)) return { ok: false, status: 404 };
  return { ok: true, batch };
}

/**
 * Null when the actor holds a role that imports rosters; otherwise the 403
 * page's refusal, the same whatever batch or file is asked about. Every
 * function of this module a page calls checks it first; the batch pages call
 * it themselves before they read a malformed address (issue 15).
 */
export function importRoleRefusal(actor: Actor | null): Refusal | null {
  return roleRefusal(actor, canImportRosters);
}

export interface UploadInput {
  kind: RosterKind;
  fileName: string;
  file: Buffer;
}

/**
 * Step 1: check the whole file, write nothing but the batch and its row errors.
 * The same file (by SHA-256 of its bytes) uploaded again returns the earlier
 * batch, so a re-import can never create anything twice.
 */
export async function uploadRoster(context: PeopleContext, actor: Actor, input: UploadInput): Promise<Outcome<BatchSummary>> {
  const denied = importRoleRefusal(actor);
  if (denied) return denied;
  const scopeRegionCode = actorScopeRegion(context, actor);
  if (!scopeRegionCode) return failure(403, { code: 'people.error.no_scope' });
  const fileSha256 = sha256Hex(input.file);
  const existing = context.db.select().from(importBatches).where(and(eq(importBatches.kind, input.kind), eq(importBatches.fileSha256, fileSha256))).get();
  if (existing) {
    const visible = batchInScope(context, actor, existing.id);
    if (!visible.ok) return failure(409, { code: 'people.error.import_already_running' });
    return success(summarize(existing, true));
  }
  const read = await readRoster(input.kind, input.file);
  if (!read.ok) return failure(422, read.problem);
  // Rows registered outside the importer's scope count against the registration forms' hourly allowance of duplicate
  // answers; when it is used up the whole upload is refused and nothing is written (validate.ts).
  if (registrationLimitReached(context, actor)) return registrationLimitRefusal();
  let checked: Awaited<ReturnType<typeof checkRosterRows>>;
  try {
    checked = await checkRosterRows(context, actor, input.kind, read.rows, { countElsewhere: true });
  } catch (error) {
    if (error instanceof DuplicateAllowanceUsedUp) return failure(429, { code: 'people.error.import_duplicate_limit', params: { max: duplicateRefusalsPerHour } });
    throw error;
  }
  const errors = checked.filter((row) => row.problems.length > 0);
  const at = nowMs(context);
  const fileName = input.fileName.replace(/[\\/]/g, '_').slice(0, 120) || 'roster.xlsx';
  const batch = writeTransaction(context.db, (tx) => {
      const inserted = tx
        .insert(importBatches)
        .values({
          kind: input.kind, fileSha256, fileName, fileCiphertext: encryptBytes(context.keys, input.file, fileContext),
          scopeRegionCode, status: 'validated', totalRows: checked.length, validRows: checked.length - errors.length, errorRows: errors.length,
          createdByUserId: actor.userId, createdAtMs: at,
        })
        .returning()
        .get();
      for (let start = 0; start < errors.length; start += 500) {
        tx.insert(importRows).values(errors.slice(start, start + 500).map((row) => ({ batchId: inserted.id, rowNumber: row.rowNumber, status: 'error' as const, errors: JSON.stringify(row.problems) }))).run();
      }
      audit({ ...context, db: tx as unknown as PeopleContext['db'] }, actor, 'import.upload', 'import_batch', inserted.id, scopeRegionCode, { kind: input.kind, rows: checked.length, errors: errors.length });
      return inserted;
    });
  return success(summarize(batch));
}

export interface BatchDetail extends BatchSummary {
  errors: { rowNumber: number; problems: RowProblem[] }[];
  errorPage: number;
  errorPageCount: number;
}

/** A batch with one page of its row errors (sorted by row), for the page that polls it. */
export function getImportBatch(context: PeopleContext, actor: Actor, batchId: number, errorPage = 1, errorPageSize = 100): Outcome<BatchDetail> {
  const denied = importRoleRefusal(actor);
  if (denied) return denied;
  const found = batchInScope(context, actor, batchId);
  if (!found.ok) return failure(found.status, { code: 'people.error.import_not_found' });
  // The one paging rule: a page such as 2.79e+234 becomes a finite page (an offset SQLite refuses is a 500).
  const { page, offset } = pageWindow(errorPage, errorPageSize);
  const errors = context.db
    .select({ rowNumber: importRows.rowNumber, errors: importRows.errors })
    .from(importRows)
    .where(and(eq(importRows.batchId, batchId), eq(importRows.status, 'error')))
    .orderBy(asc(importRows.rowNumber))
    .limit(errorPageSize)
    .offset(offset)
    .all()
    .map((row) => ({ rowNumber: row.rowNumber, problems: JSON.parse(row.errors ?? '[]') as RowProblem[] }));
  return success({ ...summarize(found.batch), errors, errorPage: page, errorPageCount: Math.max(1, Math.ceil(found.batch.errorRows / errorPageSize)) });
}

/** An import still 'importing' after this long was cut off by a restart. */
export const staleImportMs = 30 * 60_000;

/** Rows written per transaction; between chunks the event loop runs other requests. */
export const importChunkSize = 250;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Step 2: import the valid rows. Returns at once with a promise of the end
 * result; progress is on the batch row (processed_rows / valid_rows) for a
 * page to poll. Each chunk is one synchronous immediate transaction; a row
 * that became a duplicate since the check is skipped, never doubled.
 */
export function startImport(context: PeopleContext, actor: Actor, batchId: number): Outcome<{ batchId: number; done: Promise<BatchSummary> }> {
  const denied = importRoleRefusal(actor);
  if (denied) return denied;
  const found = batchInScope(context, actor, batchId);
  if (!found.ok) return failure(found.status, { code: 'people.error.import_not_found' });
  const claimed = context.db
    .update(importBatches)
    .set({ status: 'importing', startedAtMs: nowMs(context), processedRows: 0 })
    // A batch left 'importing' by a restart (no process is running it any more) may be claimed again after 30 minutes.
    .where(and(
      eq(importBatches.id, batchId),
      sql`(${importBatches.status} IN ('validated','failed') OR (${importBatches.status} = 'importing' AND ${importBatches.startedAtMs} < ${nowMs(context) - staleImportMs}))`,
      sql`${importBatches.fileCiphertext} IS NOT NULL`,
    ))
    .returning()
    .get();
  if (!claimed) return failure(409, { code: 'people.error.import_already_running' });
  if (claimed.validRows === 0) {
    context.db.update(importBatches).set({ status: 'validated' }).where(eq(importBatches.id, batchId)).run();
    return failure(409, { code: 'people.error.import_no_valid_rows' });
  }
  const done = runImport(context, actor, claimed).catch((error: unknown) => {
    // No personal data in the failure code: only the error's class.
    const failureCode = error instanceof Error ? error.name : 'Error';
    context.db.update(importBatches).set({ status: 'failed', failureCode, finishedAtMs: nowMs(context) }).where(eq(importBatches.id, batchId)).run();
    return summarize(present(context.db.select().from(importBatches).where(eq(importBatches.id, batchId)).get(), 'the batch this import claimed exists'));
  });
  return success({ batchId, done });
}

async function runImport(context: PeopleContext, actor: Actor, batch: BatchRow): Promise<BatchSummary> {
  const file = decryptBytes(context.keys, present(batch.fileCiphertext, 'a claimed batch still holds its file (cleared only when done)'), fileContext);
  const read = await readRoster(batch.kind, file);
  if (!read.ok) throw new Error('roster unreadable at import');
  const checked = (await checkRosterRows(context, actor, batch.kind, read.rows)).filter((row) => row.checked !== null);
  let imported = 0;
  let skipped = 0;
  const cardSequences = new Map<string, number>();
  for (let start = 0; start < checked.length; start += importChunkSize) {
    const chunk = checked.slice(start, start + importChunkSize);
    writeTransaction(context.db, (tx) => {
        const txContext = { ...context, db: tx as unknown as PeopleContext['db'] };
        cardSequences.clear();
        for (const row of chunk) {
          let objectId: number | null = null;
          if (row.kind === 'members' && row.checked) {
            if (!findDuplicateMember(txContext, row.checked.idHmac, row.checked.phone)) {
              objectId = insertMemberRow(txContext, actor, row.checked, { status: 'active', source: 'import', importBatchId: batch.id, cardSequences }).memberId;
            }
          } else if (row.kind === 'elders' && row.checked) {
            if (!findDuplicateElder(txContext, row.checked.idHmac, actor)) objectId = insertElder(txContext, actor, row.checked, batch.id);
          }
          if (objectId === null) skipped += 1;
          else imported += 1;
          prepared(context, `INSERT INTO import_rows (batch_id, row_number, status, object_id) VALUES (?, ?, ?, ?)
              ON CONFLICT (batch_id, row_number) DO UPDATE SET status = excluded.status, object_id = excluded.object_id`)
            .run(batch.id, row.rowNumber, objectId === null ? 'skipped' : 'imported', objectId);
        }
        tx.update(importBatches).set({ processedRows: start + chunk.length, importedRows: imported, skippedRows: skipped }).where(eq(importBatches.id, batch.id)).run();
      });
    await yieldToEventLoop();
  }
  const finished = writeTransaction(context.db, (tx) => {
      const row = tx.update(importBatches)
        .set({ status: 'done', finishedAtMs: nowMs(context), fileCiphertext: null, importedRows: imported, skippedRows: skipped, processedRows: checked.length })
        .where(eq(importBatches.id, batch.id))
        .returning()
        .get();
      assert(row !== undefined, 'the batch being finished exists');
      audit({ ...context, db: tx as unknown as PeopleContext['db'] }, actor, 'import.done', 'import_batch', batch.id, batch.scopeRegionCode, { kind: batch.kind, imported, skipped });
      return row;
    });
  return summarize(finished);
}

/** Batches in the actor's scope, newest first. */
export function listImportBatches(context: PeopleContext, actor: Actor, limit = 20): Outcome<BatchSummary[]> {
  const denied = importRoleRefusal(actor);
  if (denied) return denied;
  const scope = regionScopes(actor, canImportRosters);
  if (scope.length === 0) return failure(403, { code: 'people.error.no_scope' });
  const batches = context.db.select().from(importBatches).orderBy(sql`${importBatches.id} DESC`).limit(200).all();
  return success(batches.filter((batch) => {
    const region = findRegion(context, batch.scopeRegionCode);
    return region !== undefined && allowsRegion(actor, canImportRosters, region.path);
  }).slice(0, limit).map((batch) => summarize(batch)));
}
