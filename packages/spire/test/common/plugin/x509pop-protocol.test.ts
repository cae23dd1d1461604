import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { infinityKey } from '../../../../spiffe/test/support/infinity-key.js';
import {
  calculateResponse,
  fingerprint,
  generateChallenge,
  marshalAttestationData,
  marshalChallenge,
  marshalResponse,
  parseAttestationData,
  parseChallenge,
  parseResponse,
  verifyChallengeResponse,
} from '../../../src/common/plugin/x509pop/protocol.js';

const keys: Record<string, { privateKey: KeyObject; publicKey: KeyObject }> = {
  'EC P-256': generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  'EC P-384': generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  'RSA 2048': generateKeyPairSync('rsa', { modulusLength: 2048 }),
};

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
}

describe('x509pop challenge/response (SPIRE wire format)', () => {
  for (const [name, { privateKey, publicKey }] of Object.entries(keys)) {
    it(`${name}: a response over the wire verifies against the leaf key`, () => {
      const challenge = parseChallenge(marshalChallenge(generateChallenge(publicKey)));
      const response = parseResponse(marshalResponse(calculateResponse(privateKey, challenge)));
      expect(() => verifyChallengeResponse(publicKey, challenge, response)).not.toThrow();
    });

    it(`${name}: a response to another challenge or from another key is refused`, () => {
      const challenge = generateChallenge(publicKey);
      const response = calculateResponse(privateKey, challenge);
      const other = generateChallenge(publicKey);
      expect(() => verifyChallengeResponse(publicKey, other, response)).toThrow(
        /x509pop: (RSA|ECDSA) signature verify failed/,
      );
      const stranger = name.startsWith('RSA')
        ? generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey
        : generateKeyPairSync('ec', { namedCurve: name.endsWith('384') ? 'P-384' : 'P-256' })
            .publicKey;
      expect(() => verifyChallengeResponse(stranger, challenge, response)).toThrow(
        /signature verify failed/,
      );
    });
  }

  it('marshals the challenge with both members as Go does, the unused one null', () => {
    const json = JSON.parse(
      Buffer.from(marshalChallenge({ ecdsaSignature: { nonce: Buffer.alloc(32, 1) } })).toString(),
    );
    expect(json).toEqual({
      rsa_signature: null,
      ecdsa_signature: { nonce: Buffer.alloc(32, 1).toString('base64') },
    });
  });

  it.skipIf(!hasOpenssl())(
    'signs ECDSA over the raw digest SHA-256(nonce1 || nonce2), as Go’s ecdsa.Sign does',
    () => {
      const { privateKey, publicKey } = keys['EC P-256'] as {
        privateKey: KeyObject;
        publicKey: KeyObject;
      };
      const challenge = generateChallenge(publicKey);
      const response = calculateResponse(privateKey, challenge);
      const ec = response.ecdsaSignature as { nonce: Uint8Array; r: Uint8Array; s: Uint8Array };
      const digest = createHash('sha256')
        .update(challenge.ecdsaSignature?.nonce as Uint8Array)
        .update(ec.nonce)
        .digest();
      const dir = mkdtempSync(join(tmpdir(), 'x509pop-'));
      writeFileSync(join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
      writeFileSync(join(dir, 'digest'), digest);
      writeFileSync(join(dir, 'sig'), derSignature(ec.r, ec.s));
      const out = execFileSync('openssl', [
        'pkeyutl',
        '-verify',
        '-pubin',
        '-inkey',
        join(dir, 'pub.pem'),
        '-in',
        join(dir, 'digest'),
        '-sigfile',
        join(dir, 'sig'),
      ]).toString();
      expect(out.trim()).toBe('Signature Verified Successfully');
    },
  );

  it('rejects nonces of the wrong length and malformed documents with named fields', () => {
    const { privateKey, publicKey } = keys['EC P-256'] as {
      privateKey: KeyObject;
      publicKey: KeyObject;
    };
    expect(() =>
      calculateResponse(privateKey, { ecdsaSignature: { nonce: Buffer.alloc(31) } }),
    ).toThrow('x509pop: invalid challenge nonce');
    expect(() =>
      calculateResponse(privateKey, { rsaSignature: { nonce: Buffer.alloc(32) } }),
    ).toThrow('x509pop: expecting ECDSA challenge');
    expect(() => parseChallenge(Buffer.from('{"ecdsa_signature":{"nonce":"***"}}'))).toThrow(
      'x509pop: ecdsa_signature.nonce is not standard base64',
    );
    expect(() => parseResponse(Buffer.from('[]'))).toThrow(
      'x509pop: failed to unmarshal challenge response: not a JSON object',
    );
    expect(() =>
      verifyChallengeResponse(publicKey, generateChallenge(publicKey), {
        rsaSignature: { nonce: Buffer.alloc(32), signature: Buffer.alloc(1) },
      }),
    ).toThrow('x509pop: expecting ECDSA response');
  });

  it('round-trips attestation data and fingerprints with SHA-1 hex', () => {
    const certs = [Buffer.from([1, 2, 3]), Buffer.from([4])];
    expect(
      parseAttestationData(marshalAttestationData({ certificates: certs })).certificates,
    ).toEqual([Buffer.from([1, 2, 3]), Buffer.from([4])]);
    expect(Buffer.from(marshalAttestationData({ certificates: certs })).toString()).toBe(
      '{"certificates":["AQID","BA=="]}',
    );
    expect(fingerprint(Buffer.from('abc'))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
  });
});

/** DER `SEQUENCE { INTEGER r, INTEGER s }` for openssl. */
function derSignature(r: Uint8Array, s: Uint8Array): Buffer {
  const int = (v: Uint8Array) => {
    const body =
      v[0] !== undefined && v[0] >= 0x80 ? Buffer.concat([Buffer.from([0]), v]) : Buffer.from(v);
    return Buffer.concat([Buffer.from([0x02, body.length]), body]);
  };
  const seq = Buffer.concat([int(r), int(s)]);
  return Buffer.concat([Buffer.from([0x30, seq.length]), seq]);
}

describe('x509pop public keys from outside', () => {
  it('refuses a public key at the ec point at infinity instead of aborting the process', () => {
    const { privateKey } = keys['EC P-256'] as { privateKey: KeyObject };
    const challenge = { ecdsaSignature: { nonce: new Uint8Array(32) } };
    const response = calculateResponse(privateKey, challenge);
    expect(() => verifyChallengeResponse(infinityKey(), challenge, response)).toThrow(
      'x509pop: certificate public key is the ec point at infinity',
    );
  });
});
