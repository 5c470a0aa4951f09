import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { KeyCheckError, loadSecrets } from '../../src/lib/secrets.ts';

t.test('secrets are generated once into DATA_DIR with mode 0600 and reused', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'silver-secrets-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const first = loadSecrets(directory, {});
  t.equal(first.dataEncryptionKey.length, 32);
  t.ok(first.tokenSigningKey.length >= 32);
  t.equal(first.dataHashingKey.length, 32);
  t.notSame(first.dataHashingKey, first.dataEncryptionKey, 'the hashing key is derived, not the same key');
  t.equal(statSync(join(directory, 'secrets.json')).mode & 0o777, 0o600);
  const second = loadSecrets(directory, {});
  t.same(second.tokenSigningKey, first.tokenSigningKey);
  t.same(second.dataEncryptionKey, first.dataEncryptionKey);
  t.notMatch(readFileSync(join(directory, 'secrets.json'), 'utf8'), /-----BEGIN/);
});

t.test('environment variables take precedence and are validated', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'silver-secrets-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const token = Buffer.alloc(48, 1).toString('base64');
  const data = Buffer.alloc(32, 2).toString('base64');
  const secrets = loadSecrets(directory, { SILVER_HOURS_TOKEN_KEY: token, SILVER_HOURS_DATA_KEY: data });
  t.same(secrets.dataEncryptionKey, Buffer.alloc(32, 2));
  t.throws(() => loadSecrets(directory, { SILVER_HOURS_TOKEN_KEY: token, SILVER_HOURS_DATA_KEY: Buffer.alloc(16).toString('base64') }), /32 bytes/);
  t.throws(() => loadSecrets(directory, { SILVER_HOURS_TOKEN_KEY: 'c2hvcnQ=', SILVER_HOURS_DATA_KEY: data }), /at least 32 bytes/);
});

t.test('a damaged secrets file is named, not a JSON parser error', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'silver-secrets-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  for (const content of ['{"tokenSigningKey": "abc', '{"tokenSigningKey": "abc"}', '']) {
    writeFileSync(join(directory, 'secrets.json'), content, { mode: 0o600 });
    t.throws(() => loadSecrets(directory, {}), new KeyCheckError(`密钥文件 ${join(directory, 'secrets.json')} 已损坏（不是含两个密钥的 JSON）：请从备份恢复该文件。 / ${join(directory, 'secrets.json')} is damaged (not JSON with the two keys): restore it from your backup.`));
    t.equal(readFileSync(join(directory, 'secrets.json'), 'utf8'), content, 'and left as it is');
  }
});
