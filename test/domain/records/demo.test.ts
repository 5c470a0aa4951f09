import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { seedDemoNetwork } from '../../../src/domain/demo/network.ts';
import { sealMediaType } from '../../../src/domain/records/seals.ts';
import { demoSealPng } from '../../../src/domain/demo/records.ts';
import { verifyCertificate } from '../../../src/domain/records/views.ts';
import { generateCheckpointKeys } from '../../../src/lib/checkpoint-key.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';
import { instants } from '../../helpers/clock.ts';

t.test('the demo network holds one issued certificate with a seal, valid under the key it was seeded with', async (t) => {
  const db = openDatabase(':memory:');
  const keys = generateCheckpointKeys();
  await seedDemoNetwork(db, testSecrets(), instants.suiteDefault, keys);
  const rows = db.$client.prepare('SELECT number, content FROM certificates').all() as { number: string; content: string }[];
  t.equal(rows.length, 1);
  t.equal(sealMediaType(demoSealPng()), 'image/png');
  t.equal(db.$client.prepare('SELECT count(*) FROM certificate_seals').pluck().get(), 1);
  const verified = verifyCertificate(db, keys, rows[0]!.number);
  t.ok(verified.ok && verified.value.state === 'valid', 'valid');
  t.ok(verified.ok && verified.value.content!.totalMinutes > 0);
  const otherKey = verifyCertificate(db, generateCheckpointKeys(), rows[0]!.number);
  t.ok(otherKey.ok && otherKey.value.state === 'invalid', 'a key that is not the network’s does not vouch for it');
  t.equal(await seedDemoNetwork(db, testSecrets(), instants.suiteDefault, keys).then((ran) => ran.length), 0, 'a second seed adds nothing');
  t.equal(db.$client.prepare('SELECT count(*) FROM certificates').pluck().get(), 1);
});
