import { constants, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { JwtBundle, type JwtBundleSource, TrustDomain } from '@spire-ts/spiffe';
import { readVectorFile, readVectorJson } from '../../../../../test/support/vectors.js';

/** One JWT entry of fixtures/manifest.json. */
export interface JwtFixture {
  id: string;
  description: string;
  files: { token: string; jwt_bundles: string };
  at: string;
  audiences: string[];
  expected_result: 'accept' | 'reject' | 'implementation_defined';
  expected_reason: string | null;
  expected_spiffe_id?: string;
  spiffe_id_if_accepted?: string;
}

/** The JWT-SVID fixtures listed in the manifest, in order. */
export function jwtFixtures(): JwtFixture[] {
  const manifest = readVectorJson<{ cases: Array<{ kind: string } & JwtFixture> }>(
    'fixtures/manifest.json',
  );
  return manifest.cases.filter((c) => c.kind === 'jwtsvid');
}

/**
 * A bundle source built from a fixture's jwt-bundles.json (trust domain -> SPIFFE bundle JSON).
 * Built here from the constructor rather than the bundle parser so that these tests depend only on
 * the JwtBundle contract. `use` is dropped before import (bug case C20).
 */
export function fixtureBundles(path: string): JwtBundleSource {
  const doc = JSON.parse(readVectorFile(`fixtures/${path}`).toString('utf8')) as Record<
    string,
    { keys: Array<Record<string, unknown>> }
  >;
  const bundles = Object.entries(doc).map(([name, { keys }]) => {
    const authorities = new Map<string, KeyObject>();
    for (const { use: _use, kid, ...jwk } of keys) {
      authorities.set(String(kid), createPublicKey({ key: jwk as never, format: 'jwk' }));
    }
    return new JwtBundle(TrustDomain.fromString(name), authorities);
  });
  return bundleSource(bundles);
}

/** A JwtBundleSource over a fixed list of bundles, keyed by trust domain. */
export function bundleSource(bundles: JwtBundle[]): JwtBundleSource {
  const byName = new Map(bundles.map((b) => [b.trustDomain.name, b]));
  return { getJwtBundleForTrustDomain: (td) => byName.get(td.name) };
}

/** Reads a fixture token (no trailing newline). */
export function fixtureToken(path: string): string {
  return readVectorFile(`fixtures/${path}`).toString('utf8');
}

/** The error code each vector reason maps to. */
export const REASON_CODES: Readonly<Record<string, string>> = {
  malformed: 'ERR_JWTSVID_MALFORMED',
  unsupported_alg: 'ERR_JWTSVID_UNSUPPORTED_ALG',
  signature_invalid: 'ERR_JWTSVID_SIGNATURE_INVALID',
  missing_sub: 'ERR_JWTSVID_MISSING_SUB',
  invalid_sub: 'ERR_JWTSVID_INVALID_SUB',
  missing_exp: 'ERR_JWTSVID_MISSING_EXP',
  expired: 'ERR_JWTSVID_EXPIRED',
  malformed_claims: 'ERR_JWTSVID_MALFORMED_CLAIMS',
  not_yet_valid: 'ERR_JWTSVID_NOT_YET_VALID',
  missing_aud: 'ERR_JWTSVID_MISSING_AUD',
  aud_mismatch: 'ERR_JWTSVID_AUD_MISMATCH',
  unknown_kid: 'ERR_JWTSVID_UNKNOWN_KID',
  no_bundle: 'ERR_JWTSVID_NO_BUNDLE',
  bad_typ: 'ERR_JWTSVID_BAD_TYP',
};

/** Runs `fn` and returns the code of what it threw, or 'accepted' when it returned. */
export function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded ${String(err)}`;
  }
}

/** Base64url of a JSON value, as a JWS segment. */
export function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

const HASH = { '256': 'sha256', '384': 'sha384', '512': 'sha512' } as const;

/**
 * Builds a compact JWS over any header and claims, signed with node:crypto directly (independent
 * of the code under test), following RFC 7518 §3.3-3.5 for the header's alg. Claims given as a
 * string are used as the payload's JSON text.
 */
export function craft(
  header: Record<string, unknown>,
  claims: Record<string, unknown> | string,
  key: KeyObject,
  signAs = String(header.alg),
): string {
  const body =
    typeof claims === 'string' ? Buffer.from(claims).toString('base64url') : segment(claims);
  const input = `${segment(header)}.${body}`;
  const hash = HASH[signAs.slice(2) as keyof typeof HASH];
  const options = signAs.startsWith('ES')
    ? { key, dsaEncoding: 'ieee-p1363' as const }
    : signAs.startsWith('PS')
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(signAs.slice(2)) / 8 }
      : { key, padding: constants.RSA_PKCS1_PADDING };
  return `${input}.${sign(hash, Buffer.from(input), options).toString('base64url')}`;
}
