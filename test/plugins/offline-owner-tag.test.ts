import t from 'tap';
import { createHmac } from 'node:crypto';
import { offlineOwnerTag, ownerTagsKept } from '../../src/plugins/render.ts';

const hmacTag = (key: Buffer, userId: number) => createHmac('sha256', key).update(`offline-owner:${userId}`).digest('hex').slice(0, 20);

t.test('a remembered owner tag is the HMAC of the key and the user, per key', async (t) => {
  const key = Buffer.alloc(32, 7);
  const other = Buffer.alloc(32, 8);
  t.equal(offlineOwnerTag(key, 42), hmacTag(key, 42), 'first call: the HMAC');
  t.equal(offlineOwnerTag(key, 42), hmacTag(key, 42), 'remembered: the same value');
  t.equal(offlineOwnerTag(key, 43), hmacTag(key, 43), 'another user: its own tag');
  t.not(offlineOwnerTag(key, 43), offlineOwnerTag(key, 42));
  t.equal(offlineOwnerTag(other, 42), hmacTag(other, 42), 'another key (a rotated secret): not the first key\'s remembered tag');
  t.not(offlineOwnerTag(other, 42), offlineOwnerTag(key, 42));
});

t.test('the memory is bounded: past ownerTagsKept users the oldest is dropped and computed again, still right', async (t) => {
  const key = Buffer.alloc(32, 9);
  for (let userId = 1; userId <= ownerTagsKept + 5; userId++) offlineOwnerTag(key, userId);
  t.equal(offlineOwnerTag(key, 1), hmacTag(key, 1), 'a dropped user');
  t.equal(offlineOwnerTag(key, ownerTagsKept + 5), hmacTag(key, ownerTagsKept + 5), 'a recent user');
});
