import { BundleSet, JwtSvid, SpiffeBundle, TrustDomain } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { readVectorFile, readVectorJson } from '../../../../../test/support/vectors.js';
import {
  fixtureBundles,
  fixtureToken,
  type JwtFixture,
  jwtFixtures,
  outcome,
  REASON_CODES,
} from './support.js';

interface JsonCase {
  id: string;
  result: string;
  reason: string | null;
}

/**
 * Where the expected code is ours to choose. JWT-20: README Decision c makes an empty expected
 * list a caller error, and its note allows failing with that error instead of missing_aud.
 * JWT-39: implementation-defined; we compare typ exactly (as go-spiffe) and reject "jwt".
 */
const CHOSEN: Readonly<Record<string, string>> = {
  'JWT-20': 'ERR_JWTSVID_NO_EXPECTED_AUDIENCE',
  'JWT-39': 'ERR_JWTSVID_BAD_TYP',
};

function expectedOutcome(f: JwtFixture): string {
  const chosen = CHOSEN[f.id];
  if (chosen !== undefined) return chosen;
  if (f.expected_result === 'accept') return 'accepted';
  const code = REASON_CODES[f.expected_reason ?? ''];
  if (code === undefined) throw new Error(`no code for reason ${f.expected_reason} of ${f.id}`);
  return code;
}

function validate(f: JwtFixture, bundles = fixtureBundles(f.files.jwt_bundles)): JwtSvid {
  return JwtSvid.parseAndValidate(fixtureToken(f.files.token), bundles, f.audiences, {
    at: new Date(f.at),
    leewaySeconds: 30,
  });
}

/** The fixture's bundles read by the SDK's own SPIFFE bundle parser, gathered in a BundleSet. */
function parsedBundles(f: JwtFixture): BundleSet {
  const doc = JSON.parse(readVectorFile(`fixtures/${f.files.jwt_bundles}`).toString('utf8'));
  const bundles = Object.entries(doc as Record<string, unknown>).map(([name, bundle]) =>
    SpiffeBundle.parse(TrustDomain.fromString(name), JSON.stringify(bundle)),
  );
  return new BundleSet(bundles);
}

const fixtures = jwtFixtures();

describe('jwtsvid.json vectors', () => {
  it('has one fixture per validation case, with the same result and reason', () => {
    const cases = readVectorJson<{ cases: JsonCase[] }>('jwtsvid.json').cases;
    expect(cases).toHaveLength(42);
    expect(fixtures.map((f) => [f.id, f.expected_result, f.expected_reason])).toEqual(
      cases.map((c) => [c.id, c.result, c.reason]),
    );
  });

  it.each(fixtures.map((f) => [`${f.id} ${f.description}`, f] as const))(
    '%s: parseAndValidate gives the expected result and code',
    (_name, f) => {
      expect(outcome(() => validate(f))).toBe(expectedOutcome(f));
    },
  );

  it.each(
    fixtures.filter((f) => f.expected_spiffe_id !== undefined).map((f) => [f.id, f] as const),
  )('%s: an accepted token yields its sub as the SPIFFE ID and keeps the token', (_id, f) => {
    const svid = validate(f);
    expect(svid.id.toString()).toBe(f.expected_spiffe_id);
    expect(svid.token).toBe(fixtureToken(f.files.token));
  });

  it.each(fixtures.map((f) => [f.id, f] as const))(
    '%s: the same result with bundles from SpiffeBundle.parse in a BundleSet',
    (_id, f) => {
      expect(outcome(() => validate(f, parsedBundles(f)))).toBe(expectedOutcome(f));
    },
  );
});
