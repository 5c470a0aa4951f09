/**
 * Characters a name may not hold: markup ('<', '>') and characters nobody
 * can see (C0/C1 controls, zero-width and bidirectional controls), which let
 * a name pose as another or break the pages and files it is shown in. Names
 * are escaped on output anyway; this refuses them at entry, with a message.
 */
const refusedInNames = /[<>\p{Cc}\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u;

export function hasRefusedNameCharacters(name: string): boolean {
  return refusedInNames.test(name);
}

/**
 * Whether two names typed by different people are the same name: compared after NFKC (full-width letters,
 * compatibility forms) and without spaces, so 王 小明 typed at a counter matches 王小明 on record.
 */
export function sameName(a: string, b: string): boolean {
  const plain = (name: string) => name.normalize('NFKC').replace(/\s+/g, '');
  return plain(a) === plain(b);
}
