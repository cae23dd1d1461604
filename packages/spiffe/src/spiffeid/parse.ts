import {
  foldAsciiLower,
  isAsciiUpper,
  isPathChar,
  isTrustDomainChar,
  MAX_ID_BYTES,
  MAX_TRUST_DOMAIN_BYTES,
} from './charset.js';
import { SpiffeIdErrorCode as Code, SpiffeIdError } from './errors.js';

/** The canonical parts of a valid SPIFFE ID. */
export interface ParsedId {
  /** Lower-case trust domain name. */
  readonly trustDomain: string;
  /** `''` or `/seg/seg`, case preserved. */
  readonly path: string;
}

const SCHEME_PREFIX = 'spiffe://';

/**
 * Parses a SPIFFE ID by hand, never through `URL`: the WHATWG parser decodes `%xx` and resolves
 * `..`, both of which SPIFFE-ID §2.2 forbids. Steps:
 * 1. reject the empty string and anything over 2048 bytes (§2.3, Decision d);
 * 2. the first nine characters must fold (ASCII only, Decision a) to `spiffe://` (§2);
 * 3. the trust domain runs to the first `/` and must be a valid name (§2.1, §2.3);
 * 4. the rest is the path and must be valid (§2.2).
 */
export function parseIdString(s: string): ParsedId {
  requireString(s, 'spiffe id');
  if (s.length === 0) {
    throw new SpiffeIdError(
      Code.Empty,
      'spiffe id is empty: expected spiffe://<trust-domain>/<path>',
    );
  }

  // A UTF-16 length above the limit means a UTF-8 length above it as well.
  if (s.length > MAX_ID_BYTES) {
    throw tooLong();
  }

  if (!s.startsWith(SCHEME_PREFIX) && foldAsciiLower(s.slice(0, 9)) !== SCHEME_PREFIX) {
    throw new SpiffeIdError(
      Code.WrongScheme,
      'spiffe id scheme is missing or invalid: it must start with spiffe://',
    );
  }

  const rest = s.slice(SCHEME_PREFIX.length);
  const slash = rest.indexOf('/');
  const end = slash === -1 ? rest.length : slash;
  const trustDomain = validateTrustDomainName(rest.slice(0, end));
  const path = rest.slice(end);
  validatePath(path);
  return { trustDomain, path };
}

/**
 * Checks a bare trust domain name (SPIFFE-ID §2.1, §2.3) and returns its canonical lower-case
 * form. Only ASCII `A`-`Z` are folded (Decision a); every other character must already be in
 * `[a-z0-9.-_]`. Names are never treated differently for looking like IPs or DNS names.
 */
export function validateTrustDomainName(name: string): string {
  requireString(name, 'trust domain');
  if (name.length === 0) {
    throw new SpiffeIdError(
      Code.MissingTrustDomain,
      'trust domain is missing: expected a name such as example.org',
    );
  }

  if (name.length > MAX_TRUST_DOMAIN_BYTES) {
    throw new SpiffeIdError(
      Code.TrustDomainTooLong,
      `trust domain is too long: ${byteLength(name)} bytes, the limit is ${MAX_TRUST_DOMAIN_BYTES}`,
    );
  }

  let upper = false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (isAsciiUpper(c)) {
      upper = true;
    } else if (!isTrustDomainChar(c)) {
      throw new SpiffeIdError(
        Code.BadTrustDomainChar,
        `trust domain has character ${shown(name, i)} at index ${i}: ` +
          'trust domain characters are limited to letters, numbers, dots, dashes, and underscores',
      );
    }
  }

  return upper ? foldAsciiLower(name) : name;
}

/**
 * Checks a SPIFFE ID path (SPIFFE-ID §2.2): `''`, or `/`-separated segments that are non-empty,
 * not `.` or `..`, and made of `[a-zA-Z0-9.-_]` only (which also excludes `%`, `?` and `#`).
 */
export function validatePath(path: string): void {
  requireString(path, 'path');
  if (path.length === 0) {
    return;
  }

  if (path.charCodeAt(0) !== 0x2f) {
    throw new SpiffeIdError(
      Code.NoLeadingSlash,
      'path must be empty or start with /: for example /ns/prod/sa/web',
    );
  }

  let start = 1;
  for (;;) {
    const next = path.indexOf('/', start);
    const end = next === -1 ? path.length : next;
    if (end === start && next === -1) {
      throw new SpiffeIdError(Code.TrailingSlash, 'path cannot have a trailing slash');
    }

    validateSegment(path, start, end);
    if (next === -1) {
      return;
    }

    start = next + 1;
  }
}

/** Checks one path segment on its own (SPIFFE-ID §2.2); a `/` in it is a bad character. */
export function validateSegment(s: string, start = 0, end?: number): void {
  requireString(s, 'path segment');
  end ??= s.length;
  if (end === start) {
    throw new SpiffeIdError(Code.EmptySegment, 'path cannot contain empty segments');
  }

  for (let i = start; i < end; i++) {
    if (!isPathChar(s.charCodeAt(i))) {
      throw new SpiffeIdError(
        Code.BadPathChar,
        `path has character ${shown(s, i)} at index ${i}: ` +
          'path segment characters are limited to letters, numbers, dots, dashes, and underscores',
      );
    }
  }

  const len = end - start;
  if ((len === 1 || len === 2) && s.startsWith('.'.repeat(len), start)) {
    throw new SpiffeIdError(Code.DotSegment, 'path cannot contain dot segments (. or ..)');
  }
}

/** SPIFFE-ID §2.3 and Decision (d): rejects an ID longer than 2048 bytes. */
export function checkIdLength(trustDomain: string, path: string): void {
  const length = SCHEME_PREFIX.length + trustDomain.length + path.length;
  if (length > MAX_ID_BYTES) {
    throw tooLong();
  }
}

function tooLong(): SpiffeIdError {
  return new SpiffeIdError(
    Code.TooLong,
    `spiffe id is too long: it exceeds the limit of ${MAX_ID_BYTES} bytes`,
  );
}

/**
 * The code point at `i`, quoted and escaped so control characters stay visible; anything but
 * printable ASCII also gets its U+ number, since a look-alike (U+212A for `K`) reads as the
 * letter it imitates.
 */
function shown(s: string, i: number): string {
  const cp = s.codePointAt(i) ?? 0;
  const quoted = JSON.stringify(String.fromCodePoint(cp));
  if (cp > 0x20 && cp < 0x7f) return quoted;
  return `${quoted} (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function requireString(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string') {
    throw new TypeError(`${what} must be a string, got ${typeof value}`);
  }
}
