import {
  BundleErrorCode,
  JwtBundle,
  parseBundleMap,
  SpiffeBundle,
  TrustDomain,
} from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { readVectorJson } from '../../../../test/support/vectors.js';
import { caught, fixtureBundleText } from './support.js';

interface BundleFixture {
  id: string;
  kind: string;
  description: string;
  document_kind: 'spiffe_bundle' | 'bundle_map' | 'workload_api_jwt_bundle';
  trust_domain: string | null;
  expected_result: 'accept' | 'reject' | 'implementation_defined';
  expected_x509_authorities?: number | null;
  expected_x509_authority_subjects?: string[];
  expected_jwt_kids?: string[];
  expected_jwt_authorities?: number;
  expected_refresh_hint_s?: number;
  expected_sequence?: string;
  expected_trust_domains?: string[];
  expected_other?: Record<string, string>;
}

const manifest = readVectorJson<{ cases: BundleFixture[] }>('fixtures/manifest.json');
const fixtures = manifest.cases.filter((c) => c.kind === 'bundle');
const vectorIds = readVectorJson<{ cases: { id: string }[] }>('bundle.json').cases.map((c) => c.id);

/**
 * The error code behind every `reject` and every `implementation_defined` case. The last three
 * are our choices (docs/bundle.md): a broken `x5c` fails the whole bundle (BUNDLE-10), two keys
 * with one `kid` fail it (BUNDLE-12), and a refresh hint that is not an integer fails it
 * (BUNDLE-13), as the spec says the hint MUST be an integer.
 */
const REJECTED: Record<string, string> = {
  'BUNDLE-02': BundleErrorCode.MissingMember,
  'BUNDLE-04': BundleErrorCode.InvalidMember,
  'BUNDLE-18': BundleErrorCode.JsonDuplicateKey,
  'BUNDLE-10': BundleErrorCode.InvalidX5c,
  'BUNDLE-12': BundleErrorCode.DuplicateKid,
  'BUNDLE-13': BundleErrorCode.InvalidMember,
};

/** Refresh intervals the vectors describe in words (BUNDLE-14 floor, BUNDLE-15 default). */
const REFRESH_INTERVAL_S: Record<string, number> = { 'BUNDLE-14': 60, 'BUNDLE-15': 300 };

const TD = TrustDomain.fromString('example.org');

function parseFixture(c: BundleFixture): unknown {
  const text = fixtureBundleText(c.id);
  if (c.document_kind === 'bundle_map') return parseBundleMap(text);
  if (c.document_kind === 'workload_api_jwt_bundle') return JwtBundle.parse(TD, text);
  return SpiffeBundle.parse(TrustDomain.fromString(c.trust_domain ?? ''), text);
}

function subjects(bundle: SpiffeBundle): string[] {
  return bundle.x509Authorities().map((c) => c.subject.split('\n').reverse().join(','));
}

describe('bundle vectors (fixtures/manifest.json)', () => {
  it('covers every case of bundle.json', () => {
    expect(fixtures.map((c) => c.id)).toEqual(vectorIds);
    expect(vectorIds).toHaveLength(21);
  });

  const rejected = fixtures.filter((c) => c.expected_result !== 'accept');
  it.each(rejected.map((c) => [`${c.id} ${c.description}`, c] as const))(
    '%s: rejected',
    (_name, c) => {
      expect(REJECTED[c.id]).toBeDefined();
      expect(caught(() => parseFixture(c)).code).toBe(REJECTED[c.id]);
    },
  );

  const spiffe = fixtures.filter(
    (c) => c.expected_result === 'accept' && c.document_kind === 'spiffe_bundle',
  );
  it.each(spiffe.map((c) => [`${c.id} ${c.description}`, c] as const))('%s', (_name, c) => {
    const bundle = parseFixture(c) as SpiffeBundle;
    expect(bundle.trustDomain.name).toBe(c.trust_domain);
    expect(bundle.x509Authorities()).toHaveLength(c.expected_x509_authorities ?? -1);
    expect(subjects(bundle)).toEqual(c.expected_x509_authority_subjects ?? []);
    expect([...bundle.jwtAuthorities().keys()]).toEqual(c.expected_jwt_kids);
    expect(bundle.refreshHintSeconds).toBe(c.expected_refresh_hint_s ?? refreshHintOf(c));
    expect(bundle.sequenceNumber).toBe(
      c.expected_sequence === undefined ? undefined : BigInt(c.expected_sequence),
    );
    if (REFRESH_INTERVAL_S[c.id] !== undefined) {
      expect(bundle.refreshIntervalSeconds()).toBe(REFRESH_INTERVAL_S[c.id]);
    }
  });

  const maps = fixtures.filter(
    (c) => c.expected_result === 'accept' && c.document_kind === 'bundle_map',
  );
  it.each(maps.map((c) => [`${c.id} ${c.description}`, c] as const))('%s', (_name, c) => {
    const set = parseBundleMap(fixtureBundleText(c.id));
    expect(set.trustDomains().map((td) => td.name)).toEqual(c.expected_trust_domains);
    const [only] = set.bundles();
    expect(only?.x509Authorities()).toHaveLength(c.expected_x509_authorities ?? -1);
    expect(only?.jwtAuthorities().size).toBe(c.expected_jwt_authorities);
  });

  it('BUNDLE-21 Workload API JWK Set without use: every kid is an authority (Workload API §6.2.2)', () => {
    const [c] = fixtures.filter((f) => f.document_kind === 'workload_api_jwt_bundle');
    const bundle = JwtBundle.parse(TD, fixtureBundleText(c?.id ?? ''));
    expect([...bundle.jwtAuthorities().keys()]).toEqual(c?.expected_jwt_kids);
    expect(bundle.jwtAuthorities().size).toBe(c?.expected_jwt_authorities);
  });

  it('BUNDLE-21 as a SPIFFE bundle: entries without use are ignored (Bundle §4.2.2)', () => {
    expect(SpiffeBundle.parse(TD, fixtureBundleText('BUNDLE-21')).jwtAuthorities().size).toBe(0);
  });

  it('BUNDLE-20 per-entry refresh hint is kept on the bundle as data only (Bundle §5.1.1)', () => {
    const set = parseBundleMap(fixtureBundleText('BUNDLE-20'));
    expect(set.get(TD)?.refreshHintSeconds).toBe(5);
  });
});

/** The hint written in the fixture when the manifest does not restate it (BUNDLE-14: 0). */
function refreshHintOf(c: BundleFixture): number | undefined {
  const doc = JSON.parse(fixtureBundleText(c.id)) as { spiffe_refresh_hint?: number };
  return doc.spiffe_refresh_hint;
}
