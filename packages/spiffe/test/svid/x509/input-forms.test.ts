import type { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type DetailedPeerCertificate } from 'node:tls';
import {
  type CertificateInput,
  X509SvidErrorCode as Code,
  TrustDomain,
  X509Bundle,
  X509Svid,
} from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { createChain } from '../../support/certs.js';

const td = TrustDomain.fromString('example.org');
const { root, leaf, chain } = createChain({ intermediates: 1 });
const [, inter] = chain as [unknown, (typeof chain)[number]];
const bundle = new X509Bundle(td, [root.cert]);
const fingerprints = (certs: readonly X509Certificate[]) => certs.map((c) => c.fingerprint256);
const expectedPath = fingerprints([leaf.cert, inter.cert, root.cert]);

function caught(fn: () => unknown): { code?: string; message?: string; name?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string; name: string };
  }
  return {};
}

const forms: [string, CertificateInput][] = [
  ['Buffer[] of DER', [leaf.der, inter.der]],
  ['Uint8Array[] of DER (not Buffers)', [new Uint8Array(leaf.der), new Uint8Array(inter.der)]],
  ['X509Certificate then DER', [leaf.cert, inter.der]],
  ['DER then X509Certificate', [leaf.der, inter.cert]],
  ['DER views into one larger buffer', splitViews([leaf.der, inter.der])],
];

/** The DER of each certificate as a subarray of one shared buffer, as a parser hands them out. */
function splitViews(ders: Buffer[]): Uint8Array[] {
  const all = Buffer.concat([Buffer.from([1, 2, 3]), ...ders, Buffer.from([4])]);
  let offset = 3;
  return ders.map((der) => {
    const view = all.subarray(offset, offset + der.length);
    offset += der.length;
    return view;
  });
}

describe('X509Svid.verify and parse take an array of DER byte arrays', () => {
  it.each(forms)('verify accepts %s', (_name, input) => {
    const result = X509Svid.verify(input, bundle);
    expect(result.id.toString()).toBe('spiffe://example.org/workload');
    expect(fingerprints(result.verifiedChain)).toEqual(expectedPath);
  });

  it.each(forms)('parse accepts %s', (_name, input) => {
    const svid = X509Svid.parse(input, leaf.privateKey);
    expect(fingerprints(svid.certificates)).toEqual(expectedPath.slice(0, 2));
  });

  it('verifies the raw certificates a TLS client sees from getPeerCertificate(true)', async () => {
    const raws = await peerRawCertificates();
    expect(raws).toHaveLength(2);
    expect(fingerprints(X509Svid.verify(raws, bundle).verifiedChain)).toEqual(expectedPath);
  });

  const bad: [string, () => unknown[], string, string][] = [
    [
      'a number among the certificates is a TypeError',
      () => [leaf.der, 42],
      'TypeError',
      'certificates[1] must be a node:crypto X509Certificate or the der bytes of one',
    ],
    [
      'a PEM string among the certificates is a TypeError',
      () => [leaf.pem],
      'TypeError',
      'certificates[0] must be a node:crypto X509Certificate or the der bytes of one',
    ],
    [
      'two concatenated certificates in one element are malformed',
      () => [leaf.der, Buffer.concat([inter.der, root.der])],
      Code.MalformedCertificate,
      'intermediate 1 (certificates[1]) is not exactly one der certificate',
    ],
    [
      'trailing bytes after one certificate are malformed',
      () => [Buffer.concat([leaf.der, Buffer.from([0])])],
      Code.MalformedCertificate,
      'leaf (certificates[0]) is not exactly one der certificate',
    ],
    [
      'PEM text as bytes in an element is malformed',
      () => [Buffer.from(leaf.pem)],
      Code.MalformedCertificate,
      'leaf (certificates[0]) is not exactly one der certificate',
    ],
    [
      'a DER SEQUENCE that is not a certificate is malformed',
      () => [Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])],
      Code.MalformedCertificate,
      'leaf is not a valid der certificate',
    ],
    [
      'an empty array is an empty chain',
      () => [],
      Code.EmptyChain,
      'certificates: none given, want the leaf first',
    ],
    [
      '17 elements are too many, refused before any is parsed',
      () => Array.from({ length: 17 }, () => Buffer.from([0xff])),
      Code.ChainTooLong,
      'certificates: 17 given, at most 16 allowed',
    ],
  ];

  it.each(bad)('%s', (_name, input, code, message) => {
    for (const run of [
      () => X509Svid.verify(input() as CertificateInput, bundle),
      () => X509Svid.parse(input() as CertificateInput, leaf.privateKey),
    ]) {
      const err = caught(run);
      expect(code === 'TypeError' ? err.name : err.code).toBe(code);
      expect(err.message).toBe(message);
    }
  });
});

describe('options null reads as no options', () => {
  it('verify with options null checks at now, as with none', () => {
    expect(X509Svid.verify([leaf.cert, inter.cert], bundle, null).id.path).toBe('/workload');
    expect(X509Svid.verify([leaf.cert, inter.cert], bundle, undefined).id.path).toBe('/workload');
  });

  it('parse with options null has no hint, as with none', () => {
    const svid = X509Svid.parse([leaf.cert], leaf.privateKey, null);
    expect(svid.hint).toBeUndefined();
    expect(svid.id.toString()).toBe('spiffe://example.org/workload');
  });

  it('options null still applies every check: an expired chain stays refused', () => {
    const old = createChain({ leaf: { notAfter: new Date(Date.now() - 1_000) } });
    const oldBundle = new X509Bundle(td, [old.root.cert]);
    expect(caught(() => X509Svid.verify([old.leaf.der], oldBundle, null)).code).toBe(Code.Expired);
  });
});

/** Serves leaf + intermediate over TLS on loopback and returns what a client's peer chain holds. */
async function peerRawCertificates(): Promise<Buffer[]> {
  const server = createServer(
    { key: leaf.privateKey.export({ format: 'pem', type: 'pkcs8' }), cert: leaf.pem + inter.pem },
    (s) => s.end(),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    // The chain is checked by X509Svid.verify below, not by the TLS stack.
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    await once(socket, 'secureConnect');
    const raws = rawChain(socket.getPeerCertificate(true));
    socket.destroy();
    return raws;
  } finally {
    server.close();
  }
}

/** Follows issuerCertificate until it repeats (a self-issued end points at itself). */
function rawChain(peer: DetailedPeerCertificate): Buffer[] {
  const raws: Buffer[] = [];
  let current: DetailedPeerCertificate | undefined = peer;
  while (current?.raw && !raws.some((r) => r.equals(current?.raw as Buffer)) && raws.length < 16) {
    raws.push(current.raw);
    current = current.issuerCertificate;
  }
  return raws;
}
