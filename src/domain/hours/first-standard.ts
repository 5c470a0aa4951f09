import { serviceStandardVersions, serviceTypes, type ServiceCategory } from '../../db/schema/hours.ts';
import type { Db } from '../../db/client.ts';
import { listVersions } from './standard.ts';
import { writeTransaction } from '../kernel/transaction.ts';

interface FirstType {
  code: string;
  nameZh: string;
  nameEn: string;
  category: ServiceCategory;
  maxMinutes: number;
  recipientRequired: boolean;
}

/**
 * A sensible first version of the unified standard: the six aids and one
 * care of GB/T 43153-2023, visiting, companionship, culture and sport, health
 * education and other mutual aid. Every coefficient is 1.0, as Nanjing and
 * Shanghai use; maxima are what one visit plausibly takes.
 */
export const firstStandardTypes: readonly FirstType[] = [
  { code: 'visit', nameZh: '探访关爱', nameEn: 'Visiting and caring', category: 'visiting', maxMinutes: 120, recipientRequired: true },
  { code: 'meal_delivery', nameZh: '助餐送餐', nameEn: 'Meal delivery', category: 'meal', maxMinutes: 90, recipientRequired: true },
  { code: 'bathing', nameZh: '助浴', nameEn: 'Help with bathing', category: 'bathing', maxMinutes: 120, recipientRequired: true },
  { code: 'emergency', nameZh: '助急', nameEn: 'Emergency help', category: 'emergency', maxMinutes: 240, recipientRequired: true },
  { code: 'mobility', nameZh: '助行', nameEn: 'Help with getting about', category: 'mobility', maxMinutes: 180, recipientRequired: true },
  { code: 'medical_escort', nameZh: '助医陪诊', nameEn: 'Escort to a doctor', category: 'medical_escort', maxMinutes: 480, recipientRequired: true },
  { code: 'cleaning', nameZh: '助洁', nameEn: 'Cleaning', category: 'cleaning', maxMinutes: 180, recipientRequired: true },
  { code: 'daily_care', nameZh: '日常护理', nameEn: 'Daily care', category: 'daily_care', maxMinutes: 240, recipientRequired: true },
  { code: 'companionship', nameZh: '精神慰藉', nameEn: 'Companionship', category: 'companionship', maxMinutes: 120, recipientRequired: true },
  { code: 'culture_sport', nameZh: '文体活动', nameEn: 'Culture and sport', category: 'culture_sport', maxMinutes: 240, recipientRequired: false },
  { code: 'health_talk', nameZh: '健康科普', nameEn: 'Health education', category: 'health_education', maxMinutes: 180, recipientRequired: false },
  { code: 'mutual_aid', nameZh: '互助服务', nameEn: 'Other mutual aid', category: 'mutual_aid', maxMinutes: 240, recipientRequired: false },
];

/**
 * Writes the first version of the standard when there is none yet (demo
 * seed, a new network). Returns its id, or null when a version exists.
 */
export function seedFirstStandard(db: Db, effectiveDate: string, nowMs: number, publishedByUserId: number | null = null): number | null {
  if (listVersions({ db, now: () => nowMs }).length > 0) return null;
  return writeTransaction(db, (tx) => {
      const version = tx.insert(serviceStandardVersions)
        .values({ effectiveDate, note: '首版统一标准 First unified standard', publishedByUserId, publishedAtMs: nowMs })
        .returning({ id: serviceStandardVersions.id })
        .get();
      tx.insert(serviceTypes).values(firstStandardTypes.map((type) => ({ ...type, versionId: version.id, coefficientMilli: 1000, active: true }))).run();
      return version.id;
    });
}
