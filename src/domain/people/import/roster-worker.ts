import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../../../lib/assert.ts';
import type { RosterKind } from './columns.ts';
import { parseRoster } from './roster.ts';

/** Runs in a worker thread (see readRoster): parses one uploaded roster and posts the result back. */
const input = workerData as { kind: RosterKind; file: Uint8Array };
const result = await parseRoster(input.kind, Buffer.from(input.file.buffer, input.file.byteOffset, input.file.byteLength));
assert(parentPort !== null, 'roster-worker.ts runs only as a worker thread');
parentPort.postMessage(result);
