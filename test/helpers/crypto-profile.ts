import { randomBytes } from 'node:crypto';
import { isCryptoProfile, type CryptoProfile, type PeopleKeys } from '../../src/lib/crypto.ts';
import { generateSecrets, type Secrets } from '../../src/lib/secrets.ts';

/**
 * The crypto profile the tests run under: SILVER_HOURS_CRYPTO_PROFILE=guomi runs the
 * crypto-dependent tests with SM4/HMAC-SM3 instead of AES-256-GCM/HMAC-SHA-256.
 */
export function testCryptoProfile(): CryptoProfile {
  const value = process.env.SILVER_HOURS_CRYPTO_PROFILE ?? 'international';
  if (!isCryptoProfile(value)) throw new Error(`SILVER_HOURS_CRYPTO_PROFILE must be international or guomi, got "${value}"`);
  return value;
}

/** Fresh application secrets under the test profile. */
export function testSecrets(): Secrets {
  return generateSecrets(testCryptoProfile());
}

/** Fresh people-domain keys under the test profile. */
export function testPeopleKeys(): PeopleKeys {
  return { dataEncryptionKey: randomBytes(32), dataHashingKey: randomBytes(32), cryptoProfile: testCryptoProfile() };
}

/** Environment for child processes (servers, CLI) so they choose the test profile at first start. */
export function testProfileEnvironment(): Record<string, string> {
  return { CRYPTO_PROFILE: testCryptoProfile() };
}
