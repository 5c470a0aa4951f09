/** Display masks for personal data (PIPL): never show the whole value. The one place masks are made. */

/** 430102********1234 (first 6, last 4). */
export function maskIdNumber(idNumber: string): string {
  if (idNumber.length < 10) return '*'.repeat(idNumber.length);
  return idNumber.slice(0, 6) + '*'.repeat(idNumber.length - 10) + idNumber.slice(-4);
}

/** 138****1234 for 11-digit mobiles; other lengths keep only the last 4. */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  if (phone.length === 11) return `${phone.slice(0, 3)}****${phone.slice(7)}`;
  if (phone.length <= 4) return '*'.repeat(phone.length);
  return '*'.repeat(phone.length - 4) + phone.slice(-4);
}

/** 张* / 张*丰 / 欧阳** : keeps the first character (and the last of long names). */
export function maskName(name: string): string {
  const characters = Array.from(name);
  if (characters.length <= 1) return '*';
  if (characters.length === 2) return `${characters[0]}*`;
  return characters[0] + '*'.repeat(characters.length - 2) + characters[characters.length - 1];
}
