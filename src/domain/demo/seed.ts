import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { settings } from '../../db/schema/core.ts';
import type { Role } from '../access/authorize.ts';
import { hashPassword } from '../auth/passwords.ts';
import { findUserByPhone, insertUser } from '../auth/users.ts';
import { findRegion, insertRegion } from '../regions/regions.ts';
import { demoRegions } from './regions.ts';
import { demoRedemptionPin } from './redemption.ts';
import { writeTransaction } from '../kernel/transaction.ts';

export interface DemoSignIn {
  role: Role;
  phone: string;
  password: string;
  displayName: string;
  scope: string;
  regionCode: string | null;
  siteId: number | null;
}

/** The demo password for every demo account. Demo data only: change or delete these users in a real network. */
export const demoPassword = 'yinling2026';

/**
 * The clerk's site id is a placeholder (1): partner sites arrive with the
 * redemption feature, which should create site 1 in its demo seed.
 */
export const demoSignIns: readonly DemoSignIn[] = [
  { role: 'volunteer', phone: '13800000001', password: demoPassword, displayName: '王秀英', scope: '凤凰县 山江镇 老家寨村 433123101001', regionCode: '433123101001', siteId: null },
  { role: 'coordinator', phone: '13800000002', password: demoPassword, displayName: '龙德福', scope: '凤凰县 山江镇 433123101', regionCode: '433123101', siteId: null },
  { role: 'clerk', phone: '13800000003', password: demoPassword, displayName: '吴小梅', scope: 'site 1', regionCode: null, siteId: 1 },
  { role: 'office', phone: '13800000004', password: demoPassword, displayName: '田建国', scope: '凤凰县 433123', regionCode: '433123', siteId: null },
  { role: 'office', phone: '13800000005', password: demoPassword, displayName: '刘志强', scope: '邵阳市 430500', regionCode: '430500', siteId: null },
  { role: 'admin', phone: '13800000006', password: demoPassword, displayName: '张明', scope: '湖南省 430000', regionCode: '430000', siteId: null },
];

const seededKey = 'demo.core_seeded_at_ms';

export function isDemoSeeded(db: Db): boolean {
  return db.select().from(settings).where(eq(settings.key, seededKey)).get() !== undefined;
}

/**
 * Seeds the demo regions and one user per role into an empty database.
 * Returns false (and writes nothing) when the database already holds regions
 * or the seed ran before, so a second start keeps everything as it is.
 */
export async function seedDemo(db: Db, nowMs: number = Date.now()): Promise<boolean> {
  if (isDemoSeeded(db) || findRegion(db, '430000')) return false;
  const passwordHash = await hashPassword(demoPassword);
  writeTransaction(db, () => {
      for (const region of demoRegions) {
        insertRegion(db, { code: region.code, parentCode: region.parent, level: region.level, nameZh: region.zh, nameEn: region.en, rural: region.rural ?? null }, nowMs);
      }
      for (const demo of demoSignIns) {
        if (findUserByPhone(db, demo.phone)) continue;
        insertUser(
          db,
          {
            phone: demo.phone,
            displayName: demo.displayName,
            passwordHash,
            mustChangePassword: false,
            roles: [{ role: demo.role, regionCode: demo.regionCode, siteId: demo.siteId }],
          },
          nowMs,
        );
      }
      db.insert(settings).values({ key: seededKey, value: String(nowMs), updatedAtMs: nowMs }).run();
    });
  return true;
}

export function formatDemoSignIns(): string {
  const lines = demoSignIns.map((demo) => `  ${demo.role.padEnd(12)} ${demo.phone}  ${demo.password}  ${demo.displayName}  (${demo.scope})`);
  return ['Demo sign-ins (role, phone, password, name, scope):', ...lines,
    `Redemption PIN (兑换密码) of every demo member with a card, 王秀英 included: ${demoRedemptionPin}`].join('\n');
}
