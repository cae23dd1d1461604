import { ECDH, generateKeyPairSync, KeyObject, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import {
  CsrError,
  parseCsr,
  readCsr,
  readCsrPublicKey,
  readCsrPublicKeys,
} from '../../../../src/server/api/attestation/csr.js';
import { bitString, oid, seq } from '../../../../src/server/credtemplate/der.js';
import {
  bytesOf,
  children,
  readTlv,
  type Tlv,
} from '../../../../src/server/credtemplate/der-reader.js';
import {
  csrFor,
  csrOnCurve,
  csrWithPoint,
  ecSpki,
  ed25519ForgedCsr,
  infinityKeyCsr,
  Oids,
  rsaExponentOneCsr,
  rsaSpki,
} from './csr-keys.js';
import { makeCsr } from './support.js';

function flipLastByte(der: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(der);
  copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x01;
  return copy;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof CsrError ? err.code : `not a CsrError: ${String(err)}`;
  }
  return 'no error';
}

async function asyncCode(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    return err instanceof CsrError ? err.code : `not a CsrError: ${String(err)}`;
  }
  return 'no error';
}

describe('parseCsr (RFC 2986)', () => {
  it('returns the public key and the requested URI and DNS SANs in order', async () => {
    const csr = await makeCsr({
      uris: ['spiffe://example.org/a', 'spiffe://example.org/b'],
      dns: ['a.example.org', '*.example.org'],
    });
    const parsed = parseCsr(csr.der);
    expect(parsed).toEqual({
      publicKeyDer: csr.spki,
      uris: ['spiffe://example.org/a', 'spiffe://example.org/b'],
      dnsNames: ['a.example.org', '*.example.org'],
    });
  });

  it('returns no SANs for a request without an extension request', async () => {
    const csr = await makeCsr();
    expect(parseCsr(csr.der)).toMatchObject({ uris: [], dnsNames: [] });
  });

  it('accepts an RSA PKCS#1 v1.5 SHA-256 request', async () => {
    const alg = {
      name: 'RSASSA-PKCS1-v1_5',
      hash: 'SHA-256',
      publicExponent: new Uint8Array([1, 0, 1]),
      modulusLength: 2048,
    };
    const keys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=rsa',
      keys,
      signingAlgorithm: alg,
    });
    const spki = Buffer.from(await crypto.subtle.exportKey('spki', keys.publicKey));
    expect(parseCsr(new Uint8Array(csr.rawData)).publicKeyDer).toEqual(spki);
  });

  const cases: [string, () => Promise<Uint8Array>, string][] = [
    [
      'a signature that does not verify',
      async () => flipLastByte((await makeCsr()).der),
      'ERR_CSR_BAD_SIGNATURE',
    ],
    ['empty input', async () => new Uint8Array(), 'ERR_CSR_MALFORMED'],
    ['a truncated request', async () => (await makeCsr()).der.subarray(0, 40), 'ERR_CSR_MALFORMED'],
    [
      'trailing bytes',
      async () => Buffer.concat([(await makeCsr()).der, Buffer.of(0)]),
      'ERR_CSR_MALFORMED',
    ],
    ['a certificate instead of a request', certificateDer, 'ERR_CSR_MALFORMED'],
  ];
  it.each(cases)('refuses %s', async (_name, make, expected) => {
    const der = await make();
    expect(code(() => parseCsr(der))).toBe(expected);
    expect(await asyncCode(() => readCsr(der))).toBe(expected);
  });

  it('refuses a request carrying one key but signed by another (no proof of possession)', async () => {
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
    const a = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const b = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=forged',
      keys: { publicKey: a.publicKey, privateKey: b.privateKey },
      signingAlgorithm: alg,
    });
    expect(code(() => parseCsr(new Uint8Array(csr.rawData)))).toBe('ERR_CSR_BAD_SIGNATURE');
  });
});

async function certificateDer(): Promise<Uint8Array> {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=cert',
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return new Uint8Array(cert.rawData);
}

describe('readCsr (the hot-path reader) agrees with parseCsr', () => {
  const P384 = { name: 'ECDSA', namedCurve: 'P-384' };
  const RSA = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keyCases: [string, () => Promise<Uint8Array>][] = [
    [
      'a P-256 request (raw point import)',
      async () => (await makeCsr({ dns: ['a.example.org'] })).der,
    ],
    ['a P-384 request (raw point import)', () => csrWith(P384)],
    ['an RSA request (SPKI decode)', () => csrWith(RSA)],
  ];
  it.each(keyCases)('returns what parseCsr returns for %s', async (_name, make) => {
    const der = await make();
    expect(await readCsr(der)).toEqual(parseCsr(der));
  });

  it('refuses a P-256 key whose point is not on the curve (RFC 5480 §2.2)', async () => {
    const der = Uint8Array.from((await makeCsr()).der);
    const spki = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d03010703420004', 'hex');
    const at = Buffer.from(der).indexOf(spki) + spki.length;
    der[at + 63] = (der[at + 63] as number) ^ 0x01; // last byte of x: off the curve
    expect(code(() => parseCsr(der))).toBe('ERR_CSR_MALFORMED');
    expect(await asyncCode(() => readCsr(der))).toBe('ERR_CSR_MALFORMED');
  });
});

async function csrWith(alg: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams) {
  const hash = 'hash' in alg ? alg.hash : 'SHA-384';
  const keys = (await webcrypto.subtle.generateKey(alg, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const signingAlgorithm = alg.name === 'ECDSA' ? { name: 'ECDSA', hash } : alg;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=key',
    keys,
    signingAlgorithm,
  });
  return new Uint8Array(csr.rawData);
}

describe('readCsrPublicKey (BatchNewX509SVID: the key only)', () => {
  it('returns the key readCsr returns', async () => {
    const { der, spki } = await makeCsr({
      uris: ['spiffe://example.org/x'],
      dns: ['a.example.org'],
    });
    expect(Buffer.from(await readCsrPublicKey(der)).equals(spki)).toBe(true);
    expect((await readCsr(der)).publicKeyDer.equals(spki)).toBe(true);
  });

  it('refuses what readCsr refuses: bad signature, malformed parts, bad extension request', async () => {
    const { der } = await makeCsr({ dns: ['a.example.org'] });
    const cases: [Uint8Array, string][] = [
      [flipLastByte(der), 'ERR_CSR_BAD_SIGNATURE'],
      [Uint8Array.of(0x30, 0x00), 'ERR_CSR_MALFORMED'],
      [await withBrokenSan(), 'ERR_CSR_MALFORMED'],
    ];
    for (const [bad, expected] of cases) {
      expect(await asyncCode(() => readCsr(bad))).toBe(expected);
      expect(await asyncCode(() => readCsrPublicKey(bad))).toBe(expected);
    }
    await expect(readCsrPublicKey(await withBrokenSan())).rejects.toThrow(
      'csr is not a der pkcs#10 request: bad extension request',
    );
  });
});

describe('readCsrPublicKeys (a batch, step by step across it)', () => {
  it('gives each request, in order, what readCsrPublicKey gives it: the key or the same error', async () => {
    const good = await makeCsr({ dns: ['a.example.org'] });
    const other = await makeCsr();
    const ders = [
      good.der,
      flipLastByte(good.der),
      Uint8Array.of(0x30, 0x00),
      infinityKeyCsr(),
      csrOnCurve('secp256k1', Oids.ecdsaWithSha256, 'sha256'),
      await withBrokenSan(),
      other.der,
    ];
    const outcome = async (read: () => Promise<Buffer>) =>
      read().then(
        (key) => ({ key: key.toString('hex') }),
        (err: CsrError) => ({ code: err.code, message: err.message }),
      );
    const one = await Promise.all(ders.map((der) => outcome(() => readCsrPublicKey(der))));
    const batch = (await readCsrPublicKeys(ders)).map((r) =>
      'publicKey' in r
        ? { key: r.publicKey.toString('hex') }
        : { code: (r.error as CsrError).code, message: (r.error as CsrError).message },
    );
    expect(batch).toEqual(one);
    expect(batch.map((r) => ('key' in r ? 'key' : r.code))).toEqual([
      'key',
      'ERR_CSR_BAD_SIGNATURE',
      'ERR_CSR_MALFORMED',
      'ERR_CSR_MALFORMED',
      'ERR_CSR_UNSUPPORTED_KEY',
      'ERR_CSR_MALFORMED',
      'key',
    ]);
    expect(batch[0]).toEqual({ key: good.spki.toString('hex') });
    expect(batch[6]).toEqual({ key: other.spki.toString('hex') });
  });

  it('gives nothing for no requests', async () => {
    expect(await readCsrPublicKeys([])).toEqual([]);
  });
});

/**
 * A P-256 request whose signature verifies but whose SAN extension is malformed: the DNS name's
 * length overruns its GeneralNames sequence (X.690 §8.1.3). Re-signed after the change.
 */
async function withBrokenSan(): Promise<Uint8Array> {
  const { der, keys } = await makeCsr({ dns: ['a.example.org'] });
  const outer = readTlv(der, 0);
  const [info, algorithm] = children(der, outer);
  if (!info || !algorithm) throw new Error('makeCsr gave a request without parts');
  const cri = Buffer.from(bytesOf(der, info));
  const name = cri.indexOf(Buffer.from('a.example.org'));
  if (cri[name - 2] !== 0x82 || cri[name - 1] !== 13) throw new Error('unexpected SAN layout');
  cri[name - 1] = 14;
  const privateKey = KeyObject.from(keys.privateKey);
  const signature = sign('sha256', cri, { key: privateKey, dsaEncoding: 'der' });
  return seq(cri, bytesOf(der, algorithm), bitString(signature));
}

describe('proof of possession: the key a CSR carries (every reader)', () => {
  const readers: [string, (der: Uint8Array) => Promise<unknown>][] = [
    ['parseCsr', async (der) => parseCsr(der)],
    ['readCsr', (der) => readCsr(der)],
    ['readCsrPublicKey', (der) => readCsrPublicKey(der)],
  ];
  const p256 = oid(Oids.p256);
  const notAPoint =
    'csr is not a der pkcs#10 request: ec public key must be an uncompressed point of its curve';
  const notOnCurve = 'csr is not a der pkcs#10 request: unsupported or invalid public key';
  const unsupported =
    'csr public key must be rsa, ed25519 or ecdsa on p-224, p-256, p-384 or p-521';
  const weakRsa =
    'csr rsa public key must have a modulus of at least 1024 bits and an odd exponent from 3 to 2^31-1';
  const smallOrder =
    'csr is not a der pkcs#10 request: ed25519 public key is a point of small order';

  const refused: [string, () => Promise<Uint8Array> | Uint8Array, string, string][] = [
    [
      'the point at infinity, with a signature anyone can make for it',
      infinityKeyCsr,
      'ERR_CSR_MALFORMED',
      notAPoint,
    ],
    [
      'a compressed P-256 point',
      () => {
        const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const point = publicKey.export({ format: 'jwk' });
        const raw = Buffer.concat([
          Buffer.from(point.x as string, 'base64url'),
          Buffer.from(point.y as string, 'base64url'),
        ]);
        const compressed = ECDH.convertKey(
          Buffer.concat([Buffer.of(4), raw]),
          'prime256v1',
          undefined,
          undefined,
          'compressed',
        ) as Buffer;
        return csrWithPoint(p256, compressed, privateKey);
      },
      'ERR_CSR_MALFORMED',
      notAPoint,
    ],
    [
      'a P-384 point named as a P-256 key',
      () => {
        const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
        const spki = publicKey.export({ type: 'spki', format: 'der' });
        return csrWithPoint(p256, spki.subarray(spki.length - 97), privateKey);
      },
      'ERR_CSR_MALFORMED',
      notAPoint,
    ],
    [
      'a secp256k1 point named as a P-256 key (not on P-256)',
      () => {
        const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
        const spki = publicKey.export({ type: 'spki', format: 'der' });
        return csrWithPoint(p256, spki.subarray(spki.length - 65), privateKey);
      },
      'ERR_CSR_MALFORMED',
      notOnCurve,
    ],
    [
      'a key on another curve (secp256k1), properly signed',
      () => csrOnCurve('secp256k1', Oids.ecdsaWithSha256, 'sha256'),
      'ERR_CSR_UNSUPPORTED_KEY',
      unsupported,
    ],
    [
      'curve parameters that are not a named curve',
      () => {
        const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const spki = publicKey.export({ type: 'spki', format: 'der' });
        return csrWithPoint(seq(Buffer.from('020101', 'hex')), spki.subarray(-65), privateKey);
      },
      'ERR_CSR_UNSUPPORTED_KEY',
      unsupported,
    ],
    [
      'an Ed448 key under the Ed25519 algorithm',
      () => {
        const { publicKey, privateKey } = generateKeyPairSync('ed448');
        const spki = publicKey.export({ type: 'spki', format: 'der' });
        return csrFor(spki, Oids.ed25519, (info) => sign(null, info, privateKey));
      },
      'ERR_CSR_UNSUPPORTED_KEY',
      unsupported,
    ],
    [
      'an RSA key under an ECDSA signature algorithm',
      () => {
        const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const spki = publicKey.export({ type: 'spki', format: 'der' });
        return csrFor(spki, Oids.ecdsaWithSha256, (info) => sign('sha256', info, privateKey));
      },
      'ERR_CSR_BAD_SIGNATURE',
      'csr signature algorithm is not one of its rsa public key',
    ],
    [
      'an RSA key with public exponent 1, with a signature anyone can make for it',
      rsaExponentOneCsr,
      'ERR_CSR_UNSUPPORTED_KEY',
      weakRsa,
    ],
    [
      'an RSA key with an even public exponent',
      () => {
        const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const n = BigInt(
          `0x${Buffer.from(publicKey.export({ format: 'jwk' }).n as string, 'base64url').toString('hex')}`,
        );
        return csrFor(rsaSpki(n, 65536n), Oids.sha256WithRsa, (info) =>
          sign('sha256', info, privateKey),
        );
      },
      'ERR_CSR_UNSUPPORTED_KEY',
      weakRsa,
    ],
    [
      'an RSA key of 512 bits, which anyone can factor',
      () => {
        const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 512 });
        const spki = publicKey.export({ type: 'spki', format: 'der' });
        return csrFor(spki, Oids.sha256WithRsa, (info) => sign('sha256', info, privateKey));
      },
      'ERR_CSR_UNSUPPORTED_KEY',
      weakRsa,
    ],
    [
      'the Ed25519 identity point, with a signature anyone can make for it',
      () => ed25519ForgedCsr(ed25519Point('01')),
      'ERR_CSR_MALFORMED',
      smallOrder,
    ],
    [
      'a P-256 key with a signature made by another key',
      () => {
        const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
        const spki = publicKey.export({ type: 'spki', format: 'der' });
        return csrFor(spki, Oids.ecdsaWithSha256, (info) => sign('sha256', info, other));
      },
      'ERR_CSR_BAD_SIGNATURE',
      'csr signature does not verify with the public key it carries',
    ],
    [
      'a P-256 key with an altered signature',
      async () => flipLastByte((await makeCsr()).der),
      'ERR_CSR_BAD_SIGNATURE',
      'csr signature does not verify with the public key it carries',
    ],
  ];
  it.each(refused)('refuses %s', async (_name, make, code, message) => {
    const der = await make();
    for (const [reader, read] of readers) {
      const err = await read(der).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, reader).toBeInstanceOf(CsrError);
      expect({ reader, code: (err as CsrError).code, message: (err as CsrError).message }).toEqual({
        reader,
        code,
        message,
      });
    }
  });

  // RFC 8032 §5.1: the Ed25519 points of order 1, 2, 4 and 8, each given as 32 little-endian
  // bytes (y with x's sign in the top bit); the last three are y >= p, which names y - p.
  const smallOrderPoints: [string, string][] = [
    ['the identity (order 1)', '01'],
    ['the identity with the sign bit set', `01${'00'.repeat(30)}80`],
    ['y = p - 1 (order 2)', `ec${'ff'.repeat(30)}7f`],
    ['y = 0 (order 4)', '00'],
    ['an order-8 point', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'],
    ['the other order-8 y', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'],
    ['y = p + 1, the identity not reduced', `ee${'ff'.repeat(30)}7f`],
    ['y = p, 0 not reduced', `ed${'ff'.repeat(30)}7f`],
  ];

  it('lists as order 8 two y that are roots of d·y⁴ + 2y² − 1 (the order-8 points)', () => {
    const p = 2n ** 255n - 19n;
    const d = (-121665n * modPow(121666n, p - 2n, p)) % p;
    for (const [, hex] of smallOrderPoints.filter(([name]) => name.includes('order-8'))) {
      const y = littleEndian(ed25519Point(hex));
      expect((((d * y ** 4n + 2n * y ** 2n - 1n) % p) + p) % p).toBe(0n);
    }
  });

  it.each(smallOrderPoints)('refuses the Ed25519 key %s', async (_name, hex) => {
    const der = ed25519ForgedCsr(ed25519Point(hex));
    for (const [reader, read] of readers) {
      const err = await read(der).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect({ reader, message: (err as CsrError).message }).toEqual({
        reader,
        message: smallOrder,
      });
    }
  });

  it('accepts an RSA key with public exponent 3 and an Ed25519 key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
    const ed = generateKeyPairSync('ed25519');
    const csrs = [
      csrFor(rsa.publicKey.export({ type: 'spki', format: 'der' }), Oids.sha256WithRsa, (info) =>
        sign('sha256', info, rsa.privateKey),
      ),
      csrFor(ed.publicKey.export({ type: 'spki', format: 'der' }), Oids.ed25519, (info) =>
        sign(null, info, ed.privateKey),
      ),
    ];
    for (const [reader, read] of readers) {
      for (const der of csrs) await expect(read(der), reader).resolves.toBeDefined();
    }
  });

  const accepted: [string, string, string, string][] = [
    ['P-224', 'P-224', Oids.ecdsaWithSha256, 'sha256'],
    ['P-256 (ECDSA SHA-384)', 'P-256', Oids.ecdsaWithSha384, 'sha384'],
    ['P-384', 'P-384', Oids.ecdsaWithSha384, 'sha384'],
    ['P-521', 'P-521', Oids.ecdsaWithSha512, 'sha512'],
  ];
  it.each(accepted)('accepts a key on %s and returns its SPKI', async (_name, curve, alg, hash) => {
    const der = csrOnCurve(curve, alg, hash);
    const spki = children(der, children(der, readTlv(der, 0))[0] as Tlv)[2] as Tlv;
    const expected = bytesOf(der, spki);
    for (const [reader, read] of readers) {
      const result = (await read(der)) as Buffer | { publicKeyDer: Buffer };
      const got = Buffer.isBuffer(result) ? result : result.publicKeyDer;
      expect({ reader, equal: got.equals(expected) }).toEqual({ reader, equal: true });
    }
  });
});

/** 32 bytes from `hex`, zero-padded on the right (little-endian: the high bytes). */
function ed25519Point(hex: string): Buffer {
  const bytes = Buffer.alloc(32);
  Buffer.from(hex, 'hex').copy(bytes);
  return bytes;
}

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] as number);
  return value & ((1n << 255n) - 1n);
}

function modPow(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  let b = base % m;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

describe('what is checked first: the key, then the signature algorithm (every reader)', () => {
  async function failure(read: () => unknown): Promise<[string, string]> {
    try {
      await read();
    } catch (err) {
      return err instanceof CsrError ? [err.code, err.message] : ['not a CsrError', String(err)];
    }
    return ['no error', ''];
  }
  const readers: [string, (der: Uint8Array) => unknown][] = [
    ['parseCsr', (der) => parseCsr(der)],
    ['readCsr', (der) => readCsr(der)],
    ['readCsrPublicKey', (der) => readCsrPublicKey(der)],
    [
      'readCsrPublicKeys',
      async (der) => {
        const [result] = await readCsrPublicKeys([der]);
        if (result && 'error' in result) throw result.error;
      },
    ],
  ];

  /** A P-256 point moved off the curve (last byte of y changed). */
  function offCurvePoint(): Buffer {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const point = Buffer.from(publicKey.export({ type: 'spki', format: 'der' }).subarray(-65));
    point.writeUInt8(point.readUInt8(64) ^ 1, 64);
    return point;
  }

  const algorithms: [string, string][] = [
    ['ecdsa-with-SHA1 (unsupported)', '1.2.840.10045.4.1'],
    ['sha256WithRSAEncryption (another key family)', Oids.sha256WithRsa],
    ['Ed25519 (another key family)', Oids.ed25519],
    ['an unknown algorithm', '1.2.3.4'],
  ];
  for (const [algorithmName, algorithm] of algorithms) {
    for (const [name, read] of readers) {
      it(`${name}: an off-curve P-256 key under ${algorithmName} is a malformed key (RFC 5480 §2.2)`, async () => {
        const der = csrFor(ecSpki(oid(Oids.p256), offCurvePoint()), algorithm, () =>
          Buffer.alloc(71, 1),
        );
        expect(await failure(() => read(der))).toEqual([
          'ERR_CSR_MALFORMED',
          'csr is not a der pkcs#10 request: unsupported or invalid public key',
        ]);
      });
    }
  }

  const badAlgorithmIds: [string, Buffer][] = [
    ['an empty AlgorithmIdentifier', Buffer.from('3000', 'hex')],
    ['an OID running past its AlgorithmIdentifier', Buffer.from('300406052a86', 'hex')],
  ];
  for (const [what, algorithmId] of badAlgorithmIds) {
    for (const [name, read] of readers) {
      it(`${name}: ${what} is a malformed request, not a DER reader error (RFC 2986 §4.2)`, async () => {
        const { der: good } = await makeCsr();
        const parts = children(good, readTlv(good, 0));
        const [info, , signature] = parts as [Tlv, Tlv, Tlv];
        const der = seq(bytesOf(good, info), algorithmId, bytesOf(good, signature));
        expect(await failure(() => read(der))).toEqual([
          'ERR_CSR_MALFORMED',
          'csr is not a der pkcs#10 request: bad signature algorithm',
        ]);
      });
    }
  }
});
