import QRCode from 'qrcode';
import { decryptText, encryptText, randomToken, sha256Hex, type PeopleKeys } from '../../lib/crypto.ts';
import { prepared, type PeopleContext } from './context.ts';

const cardTokenPurpose = 'card-token';

export interface NewCardToken {
  token: string;
  hash: string;
  ciphertext: string;
}

/**
 * A fresh opaque card token: 32 random bytes, base64url. It carries nothing
 * about the member; the counter finds the member by its SHA-256 hash.
 */
export function newCardToken(keys: PeopleKeys): NewCardToken {
  const token = randomToken(32);
  return { token, hash: cardTokenHash(token), ciphertext: sealCardToken(keys, token) };
}

export function sealCardToken(keys: PeopleKeys, token: string): string {
  return encryptText(keys, token, cardTokenPurpose);
}

export function cardTokenHash(token: string): string {
  return sha256Hex(`card:${token}`);
}

export function openCardToken(keys: PeopleKeys, ciphertext: string): string {
  return decryptText(keys, ciphertext, cardTokenPurpose);
}

/** Luhn check digit, so a mistyped card number at the counter is caught. */
export function luhnDigit(digits: string): string {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return String((10 - (sum % 10)) % 10);
}

export function isValidCardNumber(cardNumber: string): boolean {
  return /^\d{13}$/.test(cardNumber) && luhnDigit(cardNumber.slice(0, 12)) === cardNumber[12];
}

/**
 * Card numbers are the home county's code (first 6 digits of the village code),
 * a 6-digit sequence within the county, and a Luhn digit: 13 digits a clerk can
 * type. Call inside the writing transaction; `cache` carries the next sequence
 * per county across the rows of one import chunk.
 */
export function allocateCardNumber(context: PeopleContext, villageCode: string, cache?: Map<string, number>): string {
  const county = villageCode.slice(0, 6);
  let next = cache?.get(county);
  if (next === undefined) {
    const last = prepared(context, 'SELECT card_number AS cardNumber FROM members WHERE card_number >= ? AND card_number < ? ORDER BY card_number DESC LIMIT 1')
      .get(county, String(Number(county) + 1)) as { cardNumber: string } | undefined;
    next = last ? Number(last.cardNumber.slice(6, 12)) + 1 : 1;
  }
  if (next > 999_999) throw new Error(`card numbers exhausted for county ${county}`);
  cache?.set(county, next + 1);
  const body = county + String(next).padStart(6, '0');
  return body + luhnDigit(body);
}

/** The URL a card's QR code holds: the public card path and the token, nothing else. */
export function cardUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/c/${token}`;
}

/** SVG of the QR code (no external resources, prints crisply). */
export async function cardQrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
}
