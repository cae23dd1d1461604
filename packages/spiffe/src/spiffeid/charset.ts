/**
 * Character rules of SPIFFE-ID §2.1 and §2.2, over UTF-16 code units. Every allowed character is
 * ASCII, so for a string that passes these checks its length is also its UTF-8 byte length.
 */

/** SPIFFE-ID §2.3: the longest trust domain name, in bytes. */
export const MAX_TRUST_DOMAIN_BYTES = 255;

/** SPIFFE-ID §2.3 and Decision (d): the longest SPIFFE ID, in bytes, scheme included. */
export const MAX_ID_BYTES = 2048;

/** SPIFFE-ID §2.1: `[a-z0-9.-_]`. */
export function isTrustDomainChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || isDigitOrSymbol(c);
}

/** Decision (a): ASCII upper case is accepted in a trust domain and folded to lower case. */
export function isAsciiUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}

/** SPIFFE-ID §2.2: `[a-zA-Z0-9.-_]`. */
export function isPathChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || isAsciiUpper(c) || isDigitOrSymbol(c);
}

function isDigitOrSymbol(c: number): boolean {
  // '0'-'9', '.', '-', '_'
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x5f;
}

/**
 * Folds ASCII `A`-`Z` to lower case and nothing else. `String.prototype.toLowerCase` must not be
 * used: it maps U+212A (Kelvin sign) to `k`, which would let a look-alike trust domain through.
 */
export function foldAsciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0x20));
}
