import { seedHours } from '../../../src/domain/demo/hours.ts';
import type { AppOptions } from '../../../src/app.ts';
import { createTestApp, type TestApp } from '../../helpers/web.ts';

/** The demo app with the hours seed (standard, volunteers, elders, three months of records). */
export async function createHoursApp(options: Partial<AppOptions> = {}): Promise<TestApp> {
  const testApp = await createTestApp(options);
  seedHours(testApp.db, testApp.app.secrets, testApp.clock.now());
  return testApp;
}

export function scalar<T = number>(app: TestApp, sql: string, ...parameters: unknown[]): T {
  return testAppDb(app).prepare(sql).pluck().get(...parameters) as T;
}

function testAppDb(app: TestApp) {
  return app.db.$client;
}
