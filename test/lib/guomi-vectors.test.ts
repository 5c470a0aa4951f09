import { createCipheriv, createHash, createHmac } from 'node:crypto';
import t from 'tap';
import { decryptBytes, encryptBytes, keyedMac, lookupHash } from '../../src/lib/crypto.ts';

// The guomi profile relies on Node's OpenSSL for SM3 and SM4; these are the
// standards' own examples, so a build whose SM3 or SM4 is wrong (or missing) fails here.

t.test('SM3 matches GB/T 32905-2016 appendix A', async (t) => {
  t.equal(createHash('sm3').update('abc').digest('hex'), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0', 'example 1: "abc"');
  t.equal(
    createHash('sm3').update('abcd'.repeat(16)).digest('hex'),
    'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732',
    'example 2: "abcd" × 16 (512 bits, two blocks after padding)',
  );
});

t.test('SM4 matches GB/T 32907-2016 appendix A', async (t) => {
  const key = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
  const encrypt = (plaintext: Buffer) => {
    const cipher = createCipheriv('sm4-ecb', key, null);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(plaintext), cipher.final()]);
  };
  t.equal(encrypt(key).toString('hex'), '681edf34d206965e86b3e94f536e4246', 'example 1: one block');
  // One streaming ECB cipher: each 16-byte update comes back as its encryption.
  const stream = createCipheriv('sm4-ecb', key, null);
  stream.setAutoPadding(false);
  let block = key;
  for (let round = 0; round < 1_000_000; round++) block = stream.update(block);
  t.equal(block.toString('hex'), '595298c7c6fd271f0402f804c33d3f66', 'example 2: the same block encrypted 1,000,000 times');
});

t.test('SM4-CTR as the guomi profile uses it agrees with SM4 applied block by block', async (t) => {
  // CTR keystream block i = SM4(iv + i); checks Node's sm4-ctr against sm4-ecb above.
  const key = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
  const iv = Buffer.from('000102030405060708090a0b0c0d0eff', 'hex');
  const plaintext = Buffer.alloc(40, 0x61);
  const ctr = createCipheriv('sm4-ctr', key, iv);
  const viaCtr = Buffer.concat([ctr.update(plaintext), ctr.final()]);
  const ecb = createCipheriv('sm4-ecb', key, null);
  ecb.setAutoPadding(false);
  const counters = [0, 1, 2].map((step) => {
    const counter = Buffer.from(iv);
    let carry = step;
    for (let index = 15; index >= 0 && carry > 0; index--) {
      const sum = counter[index]! + carry;
      counter[index] = sum & 0xff;
      carry = sum >> 8;
    }
    return counter;
  });
  const keystream = Buffer.concat([ecb.update(Buffer.concat(counters)), ecb.final()]);
  const viaEcb = Buffer.from(plaintext.map((byte, index) => byte ^ keystream[index]!));
  t.same(viaCtr, viaEcb, 'the counter carries across the last byte');
});

t.test('the guomi profile is HMAC-SM3 for lookups and SM4 with HMAC-SM3 for data', async (t) => {
  const dataHashingKey = Buffer.alloc(32, 7);
  const dataEncryptionKey = Buffer.alloc(32, 9);
  const keys = { dataEncryptionKey, dataHashingKey, cryptoProfile: 'guomi' as const };
  t.equal(lookupHash(keys, '430102195803071234', 'id-number'), createHmac('sm3', dataHashingKey).update('id-number\u0000430102195803071234').digest('hex'));
  const sealed = encryptBytes(keys, Buffer.from('430102195803071234'), 'id-number');
  t.equal(sealed.length, 16 + 32 + 18, 'iv 16 bytes, HMAC-SM3 tag 32 bytes, SM4-CTR ciphertext as long as the plaintext');
  t.equal(decryptBytes(keys, sealed, 'id-number').toString(), '430102195803071234');
  t.same(keyedMac('guomi', dataHashingKey, 'counter:1:2'), createHmac('sm3', dataHashingKey).update('counter:1:2').digest(), 'short-lived MACs (the counter links) are HMAC-SM3');
  t.same(keyedMac('international', dataHashingKey, 'counter:1:2'), createHmac('sha256', dataHashingKey).update('counter:1:2').digest());
});
