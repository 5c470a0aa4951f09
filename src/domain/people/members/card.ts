import { randomInt } from 'node:crypto';
import { qrSvg } from '../../../lib/qr.ts';
import { decryptText, encryptText, randomToken, sha256Hex, type PeopleKeys } from '../../../lib/crypto.ts';
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
 * 6 random digits, and a Luhn digit: 13 digits a clerk can type. The middle
 * part is random (issue 12 item 6): sequential numbers let anyone who knows one
 * card find its neighbours in a few tries. Cards issued before keep their
 * numbers. Call inside the writing transaction (the uniqueness check must see
 * the rows written so far); `_cache` is kept for callers of the sequential
 * version and no longer used.
 */
export function allocateCardNumber(context: PeopleContext, villageCode: string, _cache?: Map<string, number>): string {
  const county = villageCode.slice(0, 6);
  const taken = prepared(context, 'SELECT 1 FROM members WHERE card_number = ?');
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const body = county + String(randomInt(0, 1_000_000)).padStart(6, '0');
    const cardNumber = body + luhnDigit(body);
    if (!taken.get(cardNumber)) return cardNumber;
  }
  throw new Error(`no free card number found for county ${county}`);
}

/** The URL a card's QR code holds: the public card path and the token, nothing else. */
export function cardUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/c/${token}`;
}

/** SVG of the QR code (no external resources, prints crisply). */
export async function cardQrSvg(url: string): Promise<string> {
  return qrSvg(url);
}

/** Cards with the SVG QR code of each card's address, for the printable card pages. */
export async function withQrCodes<Card extends { cardToken: string }>(cards: readonly Card[], baseUrl: string): Promise<(Card & { qrSvg: string })[]> {
  return Promise.all(cards.map(async (card) => ({ ...card, qrSvg: await cardQrSvg(cardUrl(baseUrl, card.cardToken)) })));
}
