import type { KeyObject, X509Certificate } from 'node:crypto';
import { jwkFromPublicKey } from './jwk.js';
import { USE_JWT_SVID, USE_X509_SVID } from './jwks.js';
import type { SpiffeBundle } from './spiffe-bundle.js';

/** Stands in for the bigint sequence while JSON.stringify runs; swapped for the digits after. */
const SEQUENCE_SLOT = '\u0000spiffe_sequence\u0000';

/** The SPIFFE bundle JSON of `bundle` (see `SpiffeBundle.marshal`). */
export function marshalSpiffeBundle(bundle: SpiffeBundle, indent?: number): string {
  const keys = [
    ...bundle.x509Authorities().map(x509Entry),
    ...[...bundle.jwtAuthorities()].map(([kid, key]) => jwtEntry(kid, key)),
  ];
  const doc: Record<string, unknown> = { keys };
  if (bundle.refreshHintSeconds !== undefined) doc.spiffe_refresh_hint = bundle.refreshHintSeconds;
  if (bundle.sequenceNumber !== undefined) doc.spiffe_sequence = SEQUENCE_SLOT;
  const text = JSON.stringify(doc, null, indent);
  if (bundle.sequenceNumber === undefined) return text;
  // The slot is the document's last member, so its last occurrence is the one to replace.
  const slot = JSON.stringify(SEQUENCE_SLOT);
  const at = text.lastIndexOf(slot);
  return text.slice(0, at) + bundle.sequenceNumber.toString() + text.slice(at + slot.length);
}

/** X509-SVID §6.1: `use` x509-svid, exactly one standard-base64 DER `x5c` value, no `kid`. */
function x509Entry(cert: X509Certificate, index: number): Record<string, unknown> {
  return {
    use: USE_X509_SVID,
    ...publicJwk(cert.publicKey, `x509 authority ${index}`),
    x5c: [cert.raw.toString('base64')],
  };
}

/** JWT-SVID §6.1: `use` jwt-svid and a `kid`. */
function jwtEntry(kid: string, key: KeyObject): Record<string, unknown> {
  return { use: USE_JWT_SVID, kid, ...publicJwk(key, `jwt authority ${JSON.stringify(kid)}`) };
}

function publicJwk(key: KeyObject, what: string): Record<string, string> {
  return jwkFromPublicKey(key, what);
}
