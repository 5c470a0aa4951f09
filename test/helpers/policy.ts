import type { Db } from '../../src/db/client.ts';
import { defaultPolicy, type NetworkPolicy } from '../../src/domain/redemption/policy.ts';

/**
 * Test fixture: sets the rules of the policy version in force today in place
 * (version 1, which the migration writes), as the old undated setting did.
 * The application never does this: it publishes a version for a future date
 * (src/domain/redemption/policy-versions.ts). Returns version 1's id.
 */
export function setPolicyRules(db: Db, rules: Partial<NetworkPolicy>): number {
  const row = db.$client.prepare('SELECT id, rules FROM policy_versions WHERE version_number = 1').get() as { id: number; rules: string };
  const value = JSON.stringify({ ...defaultPolicy, ...(JSON.parse(row.rules) as Partial<NetworkPolicy>), ...rules });
  db.$client.prepare('UPDATE policy_versions SET rules = ? WHERE id = ?').run(value, row.id);
  return row.id;
}
