import type { Test } from 'tap';
import { seedBig } from '../../../src/domain/demo/big.ts';
import { publishCheckpoint } from '../../../src/domain/bookkeeping/signed-checkpoints.ts';
import { createTestApp, type TestApp } from '../../helpers/web.ts';

/** The demo app with 13 months of a 150-member county (seed 3) and a signed ledger checkpoint, closed after the test `t`. */
export async function createReportsApp(t: Test): Promise<TestApp> {
  const test = await createTestApp();
  t.teardown(() => test.app.close());
  seedBig(test.db, { members: 150, months: 13, nowMs: test.clock.now(), seed: 3 });
  publishCheckpoint(test.db.$client, test.app.checkpointKeys, test.clock.now());
  return test;
}
