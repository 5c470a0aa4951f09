import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { seedDemo } from '../../../src/domain/demo/seed.ts';
import { seedRedemption } from '../../../src/domain/demo/redemption.ts';
import { clearingView } from '../../../src/domain/redemption/clearing.ts';
import { publicSites } from '../../../src/domain/redemption/site-catalogue.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';

t.test('the demo seed: sites in three counties, cross-county redemptions, once only, ledger verified', async (t) => {
  const db = openDatabase(':memory:');
  const secrets = testSecrets();
  t.equal(await seedRedemption(db, secrets), false, 'nothing before the core demo exists');
  await seedDemo(db);
  t.equal(await seedRedemption(db, secrets), true);
  t.equal(await seedRedemption(db, secrets), false, 'a second run does nothing');
  const sites = publicSites(db);
  t.equal(sites[0]?.countyCode, '430524');
  t.same(sites.map((s) => s.id).sort(), [1, 2, 3, 4]);
  t.equal(sites.find((s) => s.id === 1)!.name, '旺溪村爱心超市', 'site 1 is the demo clerk\'s love supermarket in 隆回县');
  t.equal(sites.find((s) => s.id === 2)!.kind, 'service_station');
  const view = clearingView({ db, keys: secrets });
  t.equal(view.networkSumMinutes, 0);
  t.ok(view.pairs.some((p) => p.fromCountyCode === '433123' && p.toCountyCode === '430524'), '凤凰县 → 隆回县 flow');
  t.ok(verifyLedger(db.$client).ok);
});

t.test('the full demo network: the demo volunteer has a PIN and a registered relative, whatever seeded her member record', async (t) => {
  const { seedDemoNetwork } = await import('../../../src/domain/demo/network.ts');
  const db = openDatabase(':memory:');
  await seedDemoNetwork(db, testSecrets());
  const row = db.$client.prepare(`SELECT m.pin_hash AS pinHash, (SELECT count(*) FROM member_relatives r WHERE r.member_id = m.id) AS relatives
    FROM users u JOIN members m ON m.id = u.member_id WHERE u.phone = '13800000001'`).get() as { pinHash: string | null; relatives: number } | undefined;
  t.ok(row, '王秀英 has a member record');
  t.ok(row?.pinHash, 'and a redemption PIN, so she can give credits to her father');
  t.equal(row?.relatives, 1, 'her father is registered as her relative');
});
