import type { Test } from 'tap';
import type { AddressInfo } from 'node:net';
import { openDatabase } from '../../../src/db/client.ts';
import { seedDemoNetwork } from '../../../src/domain/demo/network.ts';
import type { Secrets } from '../../../src/lib/secrets.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';
import type { HttpSession } from '../../helpers/server-process.ts';
import { createTestApp } from '../../helpers/web.ts';

/** The demo network on a real listening server (for PIN limits under parallel requests), with a row reader. */
export async function listeningNetwork(t: Test, secrets: Secrets = testSecrets()) {
  const db = openDatabase(':memory:');
  const testApp = await createTestApp({ db, secrets });
  await seedDemoNetwork(db, secrets, testApp.clock.now());
  await testApp.app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => testApp.app.close());
  const base = `http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`;
  const row = (sql: string, ...parameters: unknown[]) => db.$client.prepare(sql).get(...parameters) as Record<string, number | string | null>;
  return { ...testApp, secrets, base, row };
}

export type Network = Awaited<ReturnType<typeof listeningNetwork>>;

/** Places a one-towel basket for a member at site 1 and answers the basket's path. */
export async function placeBasket(network: Network, clerk: HttpSession, cardNumber: string): Promise<string> {
  await clerk.page('/counter/1');
  const found = await clerk.fetch('/counter/1/identify', { form: { lookup: cardNumber } });
  const memberUrl = found.headers.get('location');
  if (found.status !== 303 || !memberUrl) throw new Error(`identify answered ${found.status}`);
  const page = await clerk.page(memberUrl);
  const formKey = /name="idempotency_key" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const towel = network.row("SELECT id FROM site_items WHERE site_id = 1 AND name = '毛巾'").id;
  const placed = await clerk.fetch(`${memberUrl}/baskets`, { form: { idempotency_key: formKey, [`qty_${towel}`]: '1' } });
  const basket = placed.headers.get('location');
  if (placed.status !== 303 || !basket) throw new Error(`basket answered ${placed.status}`);
  await clerk.page(basket);
  return basket;
}
