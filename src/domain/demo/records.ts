import { deflateSync } from 'node:zlib';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { users } from '../../db/schema/core.ts';
import { connectionOf } from '../../db/client.ts';
import type { CheckpointKeys } from '../../lib/checkpoint-key.ts';
import type { PeopleKeys } from '../../lib/crypto.ts';
import { actorOf } from '../auth/users.ts';
import { issueCertificate } from '../records/certificates.ts';
import { requestCertificate } from '../records/requests.ts';
import { uploadSeal } from '../records/seals.ts';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (crcTable[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * The demo office's seal: a red ring with a five-pointed star in the middle on a transparent
 * ground, 160 px square, drawn here so the demo needs no image file (a real office uploads a scan).
 */
export function demoSealPng(size = 160): Buffer {
  const rows: Buffer[] = [];
  const centre = (size - 1) / 2;
  const star = (x: number, y: number) => {
    const angle = Math.atan2(y, x);
    const radius = Math.hypot(x, y);
    const spoke = Math.cos(((angle + Math.PI / 2) * 5) % (2 * Math.PI) / 2);
    return radius < size * (0.09 + 0.13 * Math.abs(spoke) ** 3);
  };
  for (let row = 0; row < size; row += 1) {
    const line = Buffer.alloc(1 + size * 4);
    for (let column = 0; column < size; column += 1) {
      const x = column - centre;
      const y = row - centre;
      const distance = Math.hypot(x, y);
      const ink = (distance < size * 0.48 && distance > size * 0.42) || star(x, y);
      if (ink) line.set([0xc8, 0x10, 0x10, 0xe0], 1 + column * 4);
    }
    rows.push(line);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * One issued certificate in the demo network (docs/RECORDS.md): the county
 * office of 凤凰县 uploads its seal, the demo volunteer 王秀英 asks for all
 * time, the office issues it. Signed with the network key the app will use,
 * so its /verify page says 有效; without that key (most tests) nothing is seeded.
 */
export function seedRecords(db: Db, keys: PeopleKeys, checkpointKeys: CheckpointKeys | undefined, nowMs: number = Date.now()): boolean {
  // No settings marker: the demo's four seed parts stay four (test/system/interrupted-seed.test.ts); a request is the marker.
  if (!checkpointKeys || connectionOf(db).prepare('SELECT 1 FROM certificate_requests LIMIT 1').get()) return false;
  const userId = (phone: string) => db.select({ id: users.id, memberId: users.memberId }).from(users).where(eq(users.phone, phone)).get();
  const office = userId('13800000004');
  const volunteer = userId('13800000001');
  if (!office || !volunteer?.memberId) return false;
  const context = { db, keys, now: () => nowMs };
  const officeActor = actorOf(db, office.id);
  if (!uploadSeal(context, officeActor, { countyCode: '433123', data: demoSealPng() }).ok) return false;
  const requested = requestCertificate(context, actorOf(db, volunteer.id), { allTime: true });
  if (!requested.ok) return false;
  if (!issueCertificate(context, checkpointKeys, officeActor, requested.value.requestId).ok) return false;
  return true;
}
