import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  X509SvidErrorCode as Code,
  checkX509SvidDer,
  X509Svid,
  X509SvidError,
} from '@spire-ts/spiffe';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readVectorFile, readVectorJson } from '../../../../../test/support/vectors.js';
import {
  type CertOptions,
  createCa,
  createIntermediate,
  createLeaf,
  type KeyUsageName,
  type TestCert,
} from '../../support/certs.js';

const root = createCa({ commonName: 'Root CA' });
const inter = createIntermediate(root);
const good = createLeaf(inter);
const rsa = createLeaf(inter, { keyAlgorithm: 'rsa-2048' });

const spkiOf = (key: KeyObject) => createPublicKey(key).export({ format: 'der', type: 'spki' });
const pkcs8Of = (key: KeyObject) => key.export({ format: 'der', type: 'pkcs8' });
const der = (chain: TestCert[]) => Buffer.concat(chain.map((c) => c.der));

/** `ok` or the X509SvidError code `fn` throws; anything else thrown fails the test. */
function verdict(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (!(err instanceof X509SvidError)) throw err;
    return err.code;
  }
}

/** Both checks on the same DER: parse with the private key, checkX509SvidDer with its SPKI. */
function both(chain: Uint8Array | Uint8Array[], key: KeyObject) {
  return {
    parse: verdict(() => X509Svid.parse(chain, pkcs8Of(key))),
    der: verdict(() => checkX509SvidDer(chain, spkiOf(key))),
  };
}

interface ManifestCase {
  id: string;
  kind: string;
  source: string;
  description: string;
  files: { leaf: string; key: string; leaf_der?: string };
  expected_result: string;
}

/** A fixture's certificates as DER: its leaf.der, or the CERTIFICATE blocks of leaf.pem. */
function fixtureDer(c: ManifestCase): Buffer {
  if (c.files.leaf_der) return readVectorFile(`fixtures/${c.files.leaf_der}`);
  const pem = readVectorFile(`fixtures/${c.files.leaf}`).toString('utf8');
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)];
  return Buffer.concat(
    blocks.map((m) => Buffer.from((m[1] as string).replace(/\s/g, ''), 'base64')),
  );
}

describe('checkX509SvidDer gives the verdict and code of X509Svid.parse on the fixtures', () => {
  const described = readVectorJson<{ cases: { id: string }[] }>('x509svid.json').cases;
  const manifest = readVectorJson<{ cases: ManifestCase[] }>('fixtures/manifest.json');
  const cases = manifest.cases.filter((c) => c.kind === 'x509svid');

  it('has one fixture for every case of x509svid.json', () => {
    expect(cases.map((c) => c.id)).toEqual(described.map((c) => c.id));
  });

  it.each(cases.map((c) => [`${c.id} ${c.description}`, c] as const))('%s', (_name, c) => {
    const key = createPrivateKey(readVectorFile(`fixtures/${c.files.key}`));
    const chain = fixtureDer(c);
    const result = both(chain, key);
    expect(result.der).toBe(result.parse);
    if (result.der === 'ok') {
      const svid = X509Svid.parse(chain, key);
      const checked = checkX509SvidDer(chain, spkiOf(key));
      expect(checked.id.toString()).toBe(svid.id.toString());
      expect(checked.notAfter.toISOString()).toBe(svid.expiresAt.toISOString());
    }
  });
});

describe('checkX509SvidDer on a good chain', () => {
  it('returns the id, the DER of each certificate and the validity times', () => {
    const checked = checkX509SvidDer(der([good, inter]), spkiOf(good.privateKey));
    expect(checked.id.toString()).toBe('spiffe://example.org/workload');
    expect(checked.certificates.map((c) => Buffer.from(c).toString('hex'))).toEqual(
      [good.der, inter.der].map((c) => c.toString('hex')),
    );
    expect(checked.notBefore.getTime()).toBe(Date.parse(good.cert.validFrom));
    expect(checked.notAfter.getTime()).toBe(Date.parse(good.cert.validTo));
    expect(checked.chainNotAfter.getTime()).toBe(
      Math.min(Date.parse(good.cert.validTo), Date.parse(inter.cert.validTo)),
    );
  });

  it('takes the chain as an array of DER certificates, as the server API sends it', () => {
    const checked = checkX509SvidDer([rsa.der, inter.der], spkiOf(rsa.privateKey));
    expect(checked.certificates).toHaveLength(2);
  });

  it('reports the earliest notAfter of the chain when an intermediate expires first', () => {
    const notAfter = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000);
    const short = createIntermediate(root, { notAfter });
    const leaf = createLeaf(short);
    const checked = checkX509SvidDer(der([leaf, short]), spkiOf(leaf.privateKey));
    expect(checked.chainNotAfter.getTime()).toBe(notAfter.getTime());
    expect(checked.notAfter.getTime()).toBe(Date.parse(leaf.cert.validTo));
  });
});

describe('checkX509SvidDer refusals', () => {
  it('refuses a leaf whose key is not the given one', () => {
    const other = createLeaf(inter).privateKey;
    expect(() => checkX509SvidDer(der([good, inter]), spkiOf(other))).toThrow(
      expect.objectContaining({
        code: Code.KeyMismatch,
        message: 'leaf public key is not the given public key',
      }),
    );
    expect(both(der([good, inter]), other)).toEqual({
      parse: Code.KeyMismatch,
      der: Code.KeyMismatch,
    });
  });

  it('refuses PEM: the input is DER only', () => {
    const pem = Buffer.from(good.pem);
    expect(() => checkX509SvidDer(pem, spkiOf(good.privateKey))).toThrow(
      expect.objectContaining({
        code: Code.MalformedCertificate,
        message: 'certificates are pem, want der',
      }),
    );
  });

  it('refuses an empty chain and a chain of 17 certificates with parse’s codes', () => {
    const key = spkiOf(good.privateKey);
    expect(verdict(() => checkX509SvidDer([], key))).toBe(Code.EmptyChain);
    expect(verdict(() => checkX509SvidDer(new Uint8Array(0), key))).toBe(Code.EmptyChain);
    const long = Array.from({ length: 17 }, () => inter.der);
    expect(verdict(() => checkX509SvidDer(long, key))).toBe(Code.ChainTooLong);
  });

  it('throws TypeError for input that is not bytes', () => {
    const key = spkiOf(good.privateKey);
    expect(() => checkX509SvidDer(good.pem as never, key)).toThrow(TypeError);
    expect(() => checkX509SvidDer([good.cert] as never, key)).toThrow(TypeError);
  });
});

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    count: fc.integer({ min: 1, max: 4 }),
  }),
);

function mutate(input: Buffer, mutations: readonly Mutation[]): Buffer {
  let out = Buffer.from(input);
  for (const m of mutations) {
    const i = m.at % (out.length + 1);
    if (m.kind === 'flip' && i < out.length) out[i] = (out[i] as number) ^ (1 << m.bit);
    if (m.kind === 'set' && i < out.length) out[i] = m.value;
    if (m.kind === 'truncate') out = out.subarray(0, i);
    if (m.kind === 'insert') out = Buffer.concat([out.subarray(0, i), m.bytes, out.subarray(i)]);
    if (m.kind === 'delete') out = Buffer.concat([out.subarray(0, i), out.subarray(i + m.count)]);
  }
  return out;
}

describe('checkX509SvidDer and X509Svid.parse agree on mutated DER (fast-check)', () => {
  const chains: [string, TestCert, TestCert[]][] = [
    ['EC P-256 leaf and intermediate', good, [good, inter]],
    ['RSA leaf and intermediate', rsa, [rsa, inter]],
  ];

  it.each(chains)('%s: same verdict and code', (_name, leaf, chain) => {
    const input = der(chain);
    expect(both(input, leaf.privateKey)).toEqual({ parse: 'ok', der: 'ok' });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        const result = both(mutate(input, ms), leaf.privateKey);
        expect(result.der).toBe(result.parse);
      }),
      { numRuns: 1500 },
    );
  });

  it('same verdict and code on a mutated leaf given in an array with its intermediate', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 2 }), (ms) => {
        const result = both([mutate(good.der, ms), inter.der], good.privateKey);
        expect(result.der).toBe(result.parse);
      }),
      { numRuns: 800 },
    );
  });
});

const keyUsageNames: KeyUsageName[] = [
  'digitalSignature',
  'keyEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
];

/** Certificate options that keep or break each X509-SVID rule. */
const options: fc.Arbitrary<CertOptions> = fc.record(
  {
    commonName: fc.constantFrom('workload', null),
    basicConstraints: fc.option(
      fc.record({ cA: fc.boolean(), critical: fc.boolean() }, { requiredKeys: ['cA'] }),
    ),
    keyUsage: fc.option(fc.record({ bits: fc.subarray(keyUsageNames), critical: fc.boolean() })),
    extKeyUsage: fc.option(fc.subarray(['serverAuth', 'clientAuth', '1.3.6.1.5.5.7.3.4'])),
    uris: fc.array(
      fc.constantFrom(
        'spiffe://example.org/workload',
        'spiffe://example.org',
        'spiffe://Example.org/a',
        'spiffe://example.org/a/../b',
        'https://example.org/x',
      ),
      { maxLength: 2 },
    ),
    dnsNames: fc.array(fc.constantFrom('a.example.org'), { maxLength: 1 }),
    sanCritical: fc.boolean(),
    extraExtensions: fc.array(
      fc.record({
        oid: fc.constantFrom('1.2.3.4', '2.5.29.19', '2.5.29.32'),
        critical: fc.boolean(),
        value: fc.constantFrom(new Uint8Array([0x05, 0x00]), new Uint8Array([0x30, 0x00])),
      }),
      { maxLength: 2 },
    ),
    version: fc.constantFrom(1 as const, 3 as const),
    mismatchSignatureAlgorithm: fc.boolean(),
  },
  { requiredKeys: [] },
);

describe('checkX509SvidDer and X509Svid.parse agree on generated certificates (fast-check)', () => {
  it('same verdict and code for leaves and intermediates that keep or break each rule', () => {
    fc.assert(
      fc.property(options, options, (leafOptions, caOptions) => {
        const ca = createIntermediate(root, caOptions);
        const leaf = createLeaf(ca, leafOptions);
        const result = both(der([leaf, ca]), leaf.privateKey);
        expect(result.der).toBe(result.parse);
      }),
      { numRuns: 150 },
    );
  });
});

/** `der` (one certificate) with its signature BIT STRING replaced by `signature`. */
function withSignature(der: Buffer, signature: Buffer): Buffer {
  const header = (at: number) =>
    (der[at + 1] as number) & 0x80 ? 2 + ((der[at + 1] as number) & 0x7f) : 2;
  const length = (at: number) => {
    const first = der[at + 1] as number;
    if (!(first & 0x80)) return first;
    let n = 0;
    for (let i = 0; i < (first & 0x7f); i++) n = n * 256 + (der[at + 2 + i] as number);
    return n;
  };
  const tbsAt = header(0);
  const algAt = tbsAt + header(tbsAt) + length(tbsAt);
  const sigAt = algAt + header(algAt) + length(algAt);
  return tlv(0x30, Buffer.concat([der.subarray(tbsAt, sigAt), signature]));
}

function tlv(tag: number, body: Uint8Array): Buffer {
  const n = body.length;
  const length =
    n < 0x80
      ? [n]
      : n < 0x10000
        ? [0x82, n >> 8, n & 0xff]
        : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.of(tag, ...length), body]);
}

describe('checkX509SvidDer on constructed (BER) strings of many parts', () => {
  // OpenSSL reads a constructed BIT STRING as its parts joined; checking one must not build the
  // join (before, 1,000,000 parts of a 3 MB certificate took ~120 MB of heap).
  const parts = (count: number, part: string) =>
    Buffer.concat([
      Buffer.from('030100', 'hex'),
      ...Array.from({ length: count }, () => Buffer.from(part, 'hex')),
    ]);

  it('gives parse’s verdict for a signature of 200,000 parts, and for bad ones', () => {
    const nested = (depth: number): Buffer =>
      depth === 0 ? Buffer.from('030100', 'hex') : tlv(0x23, nested(depth - 1));
    const cases: [string, Buffer, string][] = [
      ['200,000 parts', tlv(0x23, parts(200_000, '030101')), 'ok'],
      [
        'unused bits 8 in the first part',
        tlv(0x23, Buffer.from('03010803 0101'.replace(' ', ''), 'hex')),
        Code.MalformedCertificate,
      ],
      [
        'an empty first part, then unused bits 9',
        tlv(0x23, Buffer.from('0300030109', 'hex')),
        Code.MalformedCertificate,
      ],
      ['six constructed levels', nested(6), 'ok'],
      ['seven constructed levels (OpenSSL reads six)', nested(7), Code.MalformedCertificate],
      [
        'an end-of-contents marker inside',
        tlv(0x23, Buffer.from('0301000000', 'hex')),
        Code.MalformedCertificate,
      ],
    ];
    for (const [name, signature, expected] of cases) {
      const chain = [withSignature(good.der, signature), inter.der];
      expect({ name, ...both(chain, good.privateKey) }).toEqual({
        name,
        parse: expected,
        der: expected,
      });
    }
  });
});
