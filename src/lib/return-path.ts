/**
 * A place on our own site to send the browser back to, built from a value the
 * request carried (`next`, `return_to`, a Referer). The value is parsed the way
 * a browser would parse a Location header (WHATWG URL, which drops TAB, LF and
 * CR and reads '\' as '/'), against a fixed origin of ours; anything that lands
 * on another origin, or whose path would itself read as '//host', answers the
 * fallback. What comes back is the parsed URL re-serialized, never the raw
 * input, so the browser cannot read it differently from us.
 */
const ourOrigin = 'http://silver-hours.invalid';
const maximumLength = 500;

export function localReturnPath(value: string | null | undefined, fallback = '/'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maximumLength) return fallback;
  if (!value.startsWith('/')) return fallback; // only paths: no schemes, no relative references
  let url: URL;
  try {
    url = new URL(value, ourOrigin);
  } catch {
    return fallback;
  }
  if (url.origin !== ourOrigin) return fallback;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // A path that starts with '//' or '/\' is a network-path reference to a browser.
  if (!path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) return fallback;
  return path;
}
