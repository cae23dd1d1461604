import { JwtSvidError, JwtSvidErrorCode } from './errors.js';

/** A JWS Compact Serialization split into its decoded parts (nothing validated beyond shape). */
export interface CompactJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** ASCII bytes of `<header>.<payload>`, what the signature covers (RFC 7515 §5.2). */
  signingInput: Buffer;
  signature: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function malformed(message: string, cause?: unknown): JwtSvidError {
  return new JwtSvidError(JwtSvidErrorCode.MALFORMED, message, { cause });
}

/**
 * Decodes one base64url segment strictly: unpadded alphabet only, and canonical (re-encoding
 * gives the same text), so that no two distinct tokens decode to the same bytes. Node's own
 * decoder silently skips bad characters and ignores stray trailing bits.
 */
export function decodeSegment(segment: string, name: string): Buffer {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) {
    throw malformed(`token ${name} must be unpadded base64url`);
  }
  const bytes = Buffer.from(segment, 'base64url');
  if (bytes.toString('base64url') !== segment) {
    throw malformed(`token ${name} must be canonical base64url`);
  }
  return bytes;
}

/** RFC 7519 §7.2 step 7 (RFC 8259 §8.1): the JSON is UTF-8; a bad byte is not replaced. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeJsonObject(segment: string, name: string): Record<string, unknown> {
  let text: string;
  try {
    text = utf8.decode(decodeSegment(segment, name));
  } catch (err) {
    if (err instanceof JwtSvidError) throw err;
    throw malformed(`token ${name} must be utf-8`, err);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw malformed(`token ${name} must be json`, err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`token ${name} must be a json object`);
  }
  return value as Record<string, unknown>;
}

/** Splits and decodes the header of a compact JWS (JWT-SVID §5.1: compact serialization only). */
export function splitCompact(token: string): {
  parts: [string, string, string];
  header: Record<string, unknown>;
} {
  // A limit of 4 keeps a token made of dots from building a huge array.
  const parts = token.split('.', 4);
  if (parts.length !== 3) {
    throw malformed('token must be a jws compact serialization of exactly 3 dot-separated parts');
  }
  const [h, p, s] = parts as [string, string, string];
  return { parts: [h, p, s], header: decodeJsonObject(h, 'header') };
}

/** Decodes the payload (a JSON object, RFC 7519 §7.2) and the signature of a split token. */
export function decodeBody(parts: [string, string, string]): Omit<CompactJws, 'header'> {
  const [h, p, s] = parts;
  const payload = decodeJsonObject(p, 'payload');
  const signature = decodeSegment(s, 'signature');
  return { payload, signature, signingInput: Buffer.from(`${h}.${p}`, 'ascii') };
}
