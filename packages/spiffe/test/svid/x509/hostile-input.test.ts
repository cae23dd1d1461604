import {
  BundleSet,
  X509SvidErrorCode as Code,
  TrustDomain,
  X509Bundle,
  X509Svid,
} from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { createCa, createLeaf } from '../../support/certs.js';

/** Runs `fn` and returns what it threw (its class name and code), or 'accepted', and the time. */
function timed(fn: () => unknown): { outcome: string; ms: number } {
  const start = performance.now();
  let outcome = 'accepted';
  try {
    fn();
  } catch (err) {
    const e = err as { code?: string; constructor: { name: string } };
    outcome = `${e.constructor.name} ${e.code ?? ''}`.trim();
  }
  return { outcome, ms: performance.now() - start };
}

// About 900 kB of PEM openers: a parser that rescans the rest of the text from every opener
// takes tens of seconds on it; a linear one takes milliseconds.
const BEGIN_LINES = 32_000;

describe('PEM input that never closes a block is rejected in linear time (RFC 7468 §2)', () => {
  const cases: [string, string, (text: string) => unknown][] = [
    [
      'X509Svid.parse certificates',
      '-----BEGIN CERTIFICATE-----\n',
      (text) => X509Svid.parse(text, 'unused'),
    ],
    [
      'X509Svid.verify peer chain',
      '-----BEGIN CERTIFICATE-----\n',
      (text) => X509Svid.verify(text, new BundleSet()),
    ],
    [
      'X509Svid.parse private key',
      '-----BEGIN PRIVATE KEY-----\n',
      (text) => X509Svid.parse(createLeaf(createCa()).pem, text),
    ],
    [
      'X509Svid.parse openers without a line break',
      '-----BEGIN CERTIFICATE-----',
      (text) => X509Svid.parse(text, 'unused'),
    ],
  ];

  it.each(cases)('%s', (_name, opener, call) => {
    const { outcome, ms } = timed(() => call(opener.repeat(BEGIN_LINES)));
    const code = opener.includes('KEY') ? Code.MalformedKey : Code.MalformedCertificate;
    expect(outcome).toBe(`X509SvidError ${code}`);
    expect(ms).toBeLessThan(2_000);
  });
});

describe('an over-long chain is refused before any certificate is parsed (MAX_CHAIN_LENGTH)', () => {
  const leaf = createLeaf(createCa());
  const copies = 20_000;
  const cases: [string, () => string | Buffer][] = [
    ['concatenated DER', () => Buffer.concat(new Array(copies).fill(leaf.der))],
    ['PEM', () => leaf.pem.repeat(copies)],
  ];

  it.each(cases)('%s of 20,000 certificates is ERR_X509SVID_CHAIN_TOO_LONG at once', (_n, make) => {
    const input = make();
    const { outcome, ms } = timed(() => X509Svid.verify(input, new BundleSet()));
    expect(outcome).toBe(`X509SvidError ${Code.ChainTooLong}`);
    expect(ms).toBeLessThan(1_500);
  });
});

describe('the verification instant must be a valid Date (RFC 5280 §6.1.1 (b))', () => {
  const ca = createCa();
  const bundle = new X509Bundle(TrustDomain.fromString('example.org'), [ca.cert]);
  const expired = createLeaf(ca, {
    notBefore: new Date(Date.now() - 7_200_000),
    notAfter: new Date(Date.now() - 3_600_000),
  });

  const cases: [string, unknown, string][] = [
    ['an Invalid Date never passes an expired leaf', new Date(Number.NaN), 'TypeError'],
    ['a number is refused, not misread', Date.now(), 'TypeError'],
    ['an ISO string is refused, not misread', new Date().toISOString(), 'TypeError'],
  ];

  it.each(cases)('%s', (_name, at, outcome) => {
    expect(timed(() => X509Svid.verify([expired.cert], bundle, { at: at as Date })).outcome).toBe(
      outcome,
    );
  });

  it('an expired leaf at a valid instant is still ERR_X509SVID_EXPIRED', () => {
    expect(timed(() => X509Svid.verify([expired.cert], bundle, { at: new Date() })).outcome).toBe(
      `X509SvidError ${Code.Expired}`,
    );
  });

  it('the TypeError names the option and the rule', () => {
    expect(() => X509Svid.verify([expired.cert], bundle, { at: new Date(Number.NaN) })).toThrow(
      'option at must be a valid Date',
    );
  });
});

describe('a bundle source that is not one is a TypeError that says so', () => {
  const leaf = createLeaf(createCa());
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'example.org'],
  ])('%s', (_name, bundles) => {
    expect(() => X509Svid.verify([leaf.cert], bundles as unknown as BundleSet)).toThrow(
      new TypeError('bundles must be an X509BundleSource (getX509BundleForTrustDomain)'),
    );
  });
});

describe('bug cases C28 and C29: validity of every certificate in the path (X509-SVID §5.1, RFC 5280 §4.1.2.5)', () => {
  const t0 = new Date('2030-01-01T00:00:00Z').getTime();
  const td = TrustDomain.fromString('example.org');

  it('C28: a leaf that outlives its CA fails once the CA has expired, naming the authority', () => {
    const ca = createCa({ notBefore: new Date(t0), notAfter: new Date(t0 + 120_000) });
    const leaf = createLeaf(ca, {
      notBefore: new Date(t0 + 100_000),
      notAfter: new Date(t0 + 160_000),
    });
    const bundle = new X509Bundle(td, [ca.cert]);
    expect(X509Svid.verify([leaf.cert], bundle, { at: new Date(t0 + 120_000) }).id.path).toBe(
      '/workload',
    );
    expect(() => X509Svid.verify([leaf.cert], bundle, { at: new Date(t0 + 121_000) })).toThrow(
      expect.objectContaining({
        code: Code.Expired,
        message: expect.stringContaining('bundle authority 1 expired'),
      }),
    );
  });

  it('C29: a leaf whose notBefore is 20 s ahead of the validator is not yet valid (no leeway)', () => {
    const ca = createCa({
      notBefore: new Date(t0 - 3_600_000),
      notAfter: new Date(t0 + 3_600_000),
    });
    const leaf = createLeaf(ca, {
      notBefore: new Date(t0 + 20_000),
      notAfter: new Date(t0 + 600_000),
    });
    const bundle = new X509Bundle(td, [ca.cert]);
    expect(timed(() => X509Svid.verify([leaf.cert], bundle, { at: new Date(t0) })).outcome).toBe(
      `X509SvidError ${Code.NotYetValid}`,
    );
    expect(X509Svid.verify([leaf.cert], bundle, { at: new Date(t0 + 20_000) }).id.path).toBe(
      '/workload',
    );
  });
});

describe('malformed PEM is reported with its defect (RFC 7468 §2, §3)', () => {
  const leaf = createLeaf(createCa());
  const body = leaf.pem.split('\n').slice(1, -2).join('\n');
  const cases: [string, string, string][] = [
    [
      'text before the block (openssl "Bag Attributes")',
      `Bag Attributes\n    localKeyID: 01\n${leaf.pem}`,
      'certificates are not well-formed pem: text outside a pem block at offset 0, only white space may surround blocks',
    ],
    [
      'no END line',
      `-----BEGIN CERTIFICATE-----\n${body}\n`,
      'certificates are not well-formed pem: block "CERTIFICATE" at offset 0 has no matching END line',
    ],
    [
      'END label differs',
      `-----BEGIN CERTIFICATE-----\n${body}\n-----END X509 CRL-----\n`,
      'certificates are not well-formed pem: block "CERTIFICATE" at offset 0 has no matching END line',
    ],
    [
      'a BEGIN line with a lower-case label',
      `-----BEGIN certificate-----\n${body}\n-----END certificate-----\n`,
      'certificates are not well-formed pem: the BEGIN line at offset 0 is not -----BEGIN <LABEL>----- on a line of its own',
    ],
    [
      'a body that is not strict base64',
      `-----BEGIN CERTIFICATE-----\n${body}!\n-----END CERTIFICATE-----\n`,
      'certificates are not well-formed pem: block "CERTIFICATE" at offset 0 is not strict base64',
    ],
  ];

  it.each(cases)('%s', (_n, text, message) => {
    expect(() => X509Svid.parse(text, leaf.privateKey)).toThrow(
      expect.objectContaining({ code: Code.MalformedCertificate, message }),
    );
  });

  it('a private key with text around it names the defect too', () => {
    const key = leaf.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => X509Svid.parse(leaf.pem, `comment\n${key}`)).toThrow(
      expect.objectContaining({
        code: Code.MalformedKey,
        message:
          'private key: not well-formed pem: text outside a pem block at offset 0, only white space may surround blocks',
      }),
    );
  });
});
