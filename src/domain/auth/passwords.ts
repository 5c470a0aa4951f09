import { hash, verify, type Algorithm } from '@node-rs/argon2';

/**
 * argon2id with the OWASP / ASVS minimum (19 MiB, 2 passes, 1 lane): about
 * 20 ms here, cheap enough for a small server and costly for an attacker.
 * Algorithm 2 is Argon2id (a const enum in the typings, which tsx cannot inline).
 */
const options = { algorithm: 2 as Algorithm, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;
/** Spends the same time as a real check, so an unknown phone is not told apart by timing. */
export async function verifyAgainstDummy(password: string): Promise<void> {
  dummyHash ??= hash('not-a-real-password-0', options);
  await verifyPassword(await dummyHash, password);
}

export const passwordMinimumLength = 8;
export const passwordMaximumLength = 128;

/** Returns a message key when the new password is not acceptable, or null. */
export function checkNewPassword(password: string, confirmation: string, phone: string): string | null {
  if (password === '') return 'account.error.newPasswordRequired';
  if ([...password].length < passwordMinimumLength) return 'account.error.passwordTooShort';
  if ([...password].length > passwordMaximumLength) return 'account.error.passwordTooLong';
  if (password.includes(phone) || /^(\d)\1+$/.test(password) || /^(0123456789|12345678|123456789|87654321|password|qwertyui)/i.test(password)) {
    return 'account.error.passwordTooSimple';
  }
  if (password !== confirmation) return 'account.error.passwordMismatch';
  return null;
}
