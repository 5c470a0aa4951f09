/** Mainland mobile numbers: 11 digits starting 13-19. Full-width digits (NFKC), spaces, dashes and a +86 prefix are accepted. */
export function normalizePhone(input: string): string | null {
  const compact = input.normalize('NFKC').replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '');
  return /^1[3-9]\d{9}$/.test(compact) ? compact : null;
}

/** 138****1234: the only way a phone number is shown to anyone but its owner. */
export function maskPhone(phone: string): string {
  return phone.length === 11 ? `${phone.slice(0, 3)}****${phone.slice(7)}` : '***';
}
