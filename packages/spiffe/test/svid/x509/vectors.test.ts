import { X509Certificate } from 'node:crypto';
import {
  X509SvidErrorCode as Code,
  TrustDomain,
  X509Bundle,
  type X509BundleSource,
  X509Svid,
  type X509SvidErrorCodeValue,
} from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { readVectorFile, readVectorJson } from '../../../../../test/support/vectors.js';

interface ManifestCase {
  id: string;
  kind: string;
  description: string;
  files: { leaf: string; key: string; bundle: string; bundles?: string; leaf_der?: string };
  at: string;
  expected_result: 'accept' | 'reject' | 'implementation_defined';
  expected_reason: string | null;
  expected_spiffe_id?: string;
}

/** The vector reason codes and the error code this SDK reports for each. */
const REASON_CODES: Record<string, X509SvidErrorCodeValue> = {
  no_uri_san: Code.NoUriSan,
  multiple_uri_sans: Code.MultipleUriSans,
  invalid_spiffe_id: Code.InvalidSpiffeId,
  invalid_or_oversized_uri_san: Code.InvalidSpiffeId,
  leaf_root_path: Code.LeafRootPath,
  leaf_is_ca: Code.LeafIsCa,
  leaf_key_cert_sign: Code.LeafKeyCertSign,
  leaf_crl_sign: Code.LeafCrlSign,
  leaf_missing_digital_signature: Code.LeafNoDigitalSignature,
  missing_key_usage: Code.MissingKeyUsage,
  expired: Code.Expired,
  not_yet_valid: Code.NotYetValid,
  path_len_exceeded: Code.PathLenExceeded,
  chain_invalid: Code.IssuerNoKeyCertSign,
  wrong_trust_domain_bundle: Code.UnknownAuthority,
  name_constraints: Code.NameConstraints,
  malformed_der: Code.MalformedCertificate,
};

/** Implementation-defined cases: what this SDK chose (docs/x509svid.md), by case id. */
const DECISIONS: Record<string, X509SvidErrorCodeValue> = {
  // X509-SVID §4.3: keyUsage MUST be critical; taken literally.
  'X509-15': Code.KeyUsageNotCritical,
  // X509-SVID §4.4: when extKeyUsage is present both serverAuth and clientAuth MUST be set.
  'X509-16': Code.LeafExtKeyUsage,
};

/** Reasons that only path validation against a bundle can find; parse accepts those leaves. */
const CHAIN_ONLY = new Set([
  'expired',
  'not_yet_valid',
  'path_len_exceeded',
  'wrong_trust_domain_bundle',
  'name_constraints',
]);

const manifest = readVectorJson<{ cases: ManifestCase[] }>('fixtures/manifest.json');
const cases = manifest.cases.filter((c) => c.kind === 'x509svid');

function expectedCode(c: ManifestCase): X509SvidErrorCodeValue | undefined {
  if (c.expected_result === 'accept') return undefined;
  const code = DECISIONS[c.id] ?? REASON_CODES[c.expected_reason ?? ''];
  if (!code) throw new Error(`no expected code for ${c.id} (${c.expected_reason})`);
  return code;
}

function leafBytes(c: ManifestCase): Buffer {
  return readVectorFile(`fixtures/${c.files.leaf_der ?? c.files.leaf}`);
}

/** A bundle source over SPIFFE bundle JSON documents keyed by trust domain (bundles.json). */
function sourceFromSpiffeBundles(
  json: Record<string, { keys: { use: string; x5c?: string[] }[] }>,
) {
  const bundles = new Map<string, X509Bundle>();
  for (const [name, doc] of Object.entries(json)) {
    const certs = doc.keys
      .filter((k) => k.use === 'x509-svid' && k.x5c?.[0])
      .map((k) => new X509Certificate(Buffer.from(k.x5c?.[0] as string, 'base64')));
    bundles.set(name, new X509Bundle(TrustDomain.fromString(name), certs));
  }
  return { getX509BundleForTrustDomain: (td: TrustDomain) => bundles.get(td.name) };
}

function bundleSource(c: ManifestCase): X509BundleSource {
  if (c.files.bundles) {
    return sourceFromSpiffeBundles(readVectorJson(`fixtures/${c.files.bundles}`));
  }
  return X509Bundle.fromPem(
    TrustDomain.fromString('example.org'),
    readVectorFile(`fixtures/${c.files.bundle}`),
  );
}

function caught(fn: () => unknown): { code?: string; message?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  return {};
}

describe('X509Svid.verify on the x509svid.json fixtures (at the manifest instant)', () => {
  it('covers all 29 fixture cases', () => {
    expect(cases.map((c) => c.id)).toEqual(
      Array.from({ length: 29 }, (_, i) => `X509-${String(i + 1).padStart(2, '0')}`),
    );
  });

  it.each(cases.map((c) => [`${c.id} ${c.description}`, c] as const))('%s', (_name, c) => {
    const code = expectedCode(c);
    const verify = () => X509Svid.verify(leafBytes(c), bundleSource(c), { at: new Date(c.at) });
    if (code === undefined) {
      const result = verify();
      expect(result.id.toString()).toBe(c.expected_spiffe_id);
      expect(result.verifiedChain.length).toBeGreaterThanOrEqual(2);
    } else {
      expect(caught(verify).code).toBe(code);
    }
  });

  it('X509-20 names the oversized uri san and its length (C10)', () => {
    const c = cases.find((x) => x.id === 'X509-20') as ManifestCase;
    const err = caught(() =>
      X509Svid.verify(leafBytes(c), bundleSource(c), { at: new Date(c.at) }),
    );
    expect(err.message).toMatch(
      /^leaf uri san "spiffe:\/\/example\.org\/a+\.\.\. \(2121 bytes\)" is not a valid spiffe id: .*2048/,
    );
  });
});

describe('X509Svid.parse on the x509svid.json fixtures', () => {
  it.each(cases.map((c) => [`${c.id} ${c.description}`, c] as const))('%s', (_name, c) => {
    const code = CHAIN_ONLY.has(c.expected_reason ?? '') ? undefined : expectedCode(c);
    const key = readVectorFile(`fixtures/${c.files.key}`);
    const parse = () => X509Svid.parse(leafBytes(c), key);
    if (code === undefined) {
      const svid = parse();
      expect(svid.id.toString()).toBe(c.expected_spiffe_id ?? 'spiffe://example.org/workload');
      expect(svid.expiresAt.toISOString()).toBe(new Date(readLeafNotAfter(c)).toISOString());
    } else {
      expect(caught(parse).code).toBe(code);
    }
  });
});

function readLeafNotAfter(c: ManifestCase): string {
  const m = manifest.cases.find((x) => x.id === c.id) as ManifestCase & {
    leaf_validity: { not_after: string };
  };
  return m.leaf_validity.not_after;
}
