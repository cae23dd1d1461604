/** Certificates, keys and Workload API responses for the SDK tests. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { JwtSvid, SpiffeId } from '@spire-ts/spiffe';
import { createCa, createLeaf, type TestCert } from '../support/certs.js';
import type { X509SvidResponseInit } from '../support/fake-workload-api.js';

/** One trust domain's CA. */
export interface TestTrustDomain {
  name: string;
  ca: TestCert;
}

/** A new CA for `name`. */
export function trustDomain(name = 'example.org'): TestTrustDomain {
  return { name, ca: createCa({ trustDomain: name }) };
}

/** A leaf for `id` issued by `td`'s CA. */
export function leaf(td: TestTrustDomain, path: string, notAfter?: Date): TestCert {
  return createLeaf(td.ca, {
    uris: [`spiffe://${td.name}${path}`],
    ...(notAfter ? { notAfter } : {}),
  });
}

/** A FetchX509SVID entry for a new leaf `spiffe://<td><path>`, as SPIRE's agent encodes it. */
export function svidEntry(
  td: TestTrustDomain,
  path: string,
  options: { hint?: string; notAfter?: Date } = {},
) {
  const cert = leaf(td, path, options.notAfter);
  return {
    spiffeId: `spiffe://${td.name}${path}`,
    x509Svid: cert.der,
    x509SvidKey: cert.privateKey.export({ format: 'der', type: 'pkcs8' }),
    bundle: td.ca.der,
    hint: options.hint ?? '',
  };
}

/** A full FetchX509SVID response: the given SVIDs plus federated bundles keyed `spiffe://td`. */
export function x509Response(
  entries: ReturnType<typeof svidEntry>[],
  federated: TestTrustDomain[] = [],
): X509SvidResponseInit {
  return {
    svids: entries,
    federatedBundles: Object.fromEntries(federated.map((td) => [`spiffe://${td.name}`, td.ca.der])),
  };
}

/** A JWT signing authority of one trust domain. */
export interface JwtAuthority {
  td: string;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A new ES256 authority for `td`. */
export function jwtAuthority(td = 'example.org', kid = `kid-${td}`): JwtAuthority {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { td, kid, privateKey, publicKey };
}

/** The authority as a JWK Set (the FetchJWTBundles value form, no `use`). */
export function jwks(...authorities: JwtAuthority[]): Buffer {
  const keys = authorities.map((a) => ({ ...a.publicKey.export({ format: 'jwk' }), kid: a.kid }));
  return Buffer.from(JSON.stringify({ keys }));
}

/** A token for `path` in the authority's trust domain. */
export function jwtToken(
  authority: JwtAuthority,
  path: string,
  audience: string[],
  expiresInMs = 3_600_000,
): string {
  return JwtSvid.sign({
    id: SpiffeId.fromString(`spiffe://${authority.td}${path}`),
    audience,
    expiresAt: new Date(Date.now() + expiresInMs),
    key: authority.privateKey,
    kid: authority.kid,
  }).token;
}

/** Collects the next `n` values of an async iterator. */
export async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < n) {
    const next = await it.next();
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}
