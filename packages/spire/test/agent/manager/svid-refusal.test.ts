import 'reflect-metadata';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { SpiffeId } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import type { X509SvidRequest } from '../../../src/agent/client/server-api.js';
import { csrPublicKey } from '../runtime/fake-ca.js';
import { ids, makeManager, sel } from './support.js';

x509.cryptoProvider.set(webcrypto as never);

const UID = 'unix:uid:1000';
const GOOD = { id: 'e1', spiffeId: 'spiffe://example.org/a', selectors: [UID] };
const BAD = { id: 'e2', spiffeId: 'spiffe://example.org/b', selectors: [UID] };

/**
 * A leaf for the CSR's key, signed by a throw-away key, with the given URI SANs and otherwise
 * what an X509-SVID leaf carries (X509-SVID §4.1, §4.3, §4.4): the rule under test is the only
 * one it breaks.
 */
async function leafWithUris(csr: Uint8Array, uris: readonly string[]): Promise<Uint8Array> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const signer = await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify']);
  const spki = (await csrPublicKey(csr)).export({ format: 'der', type: 'spki' });
  const publicKey = await webcrypto.subtle.importKey('spki', spki, algorithm, true, ['verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: 'O=SPIRE',
    issuer: 'O=SPIRE',
    notBefore: new Date(Date.UTC(2030, 0, 1)),
    notAfter: new Date(Date.UTC(2030, 0, 2)),
    signingAlgorithm: algorithm,
    publicKey,
    signingKey: signer.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.SubjectAlternativeNameExtension(
        uris.map((value) => ({ type: 'url' as const, value })),
      ),
    ],
  });
  return new Uint8Array(cert.rawData);
}

/**
 * Syncs GOOD and BAD, the server's answer for BAD replaced by `chainFor(csr)`: BAD must get no
 * SVID, with `message` logged as the reason, and GOOD must still be served.
 */
async function expectRefused(
  chainFor: (csr: Uint8Array) => Promise<Uint8Array[]>,
  message: string,
): Promise<void> {
  const { api, manager, lines } = await makeManager();
  api.put(GOOD);
  api.put(BAD);
  const mint = api.newX509Svids.bind(api);
  api.newX509Svids = async (requests: readonly X509SvidRequest[]) => {
    const answers = await mint(requests);
    for (const [i, r] of requests.entries()) {
      const answer = answers[i];
      if (r.entryId === BAD.id && answer) answer.certChain = await chainFor(r.csr);
    }
    return answers;
  };
  await manager.synchronize();
  expect([...manager.cache.svids().keys()]).toEqual([GOOD.id]);
  expect(ids(manager.snapshot(sel(UID)))).toEqual([GOOD.spiffeId]);
  const refusals = lines.filter((l) => l.msg === 'Server returned an unusable X509 SVID');
  expect(refusals.map((l) => [l.registration_id, l.error])).toEqual([[BAD.id, message]]);
}

describe('the agent refuses an unusable X509-SVID from the server and keeps the rest', () => {
  it('refuses a leaf with no URI SAN (X509-SVID §2)', async () => {
    await expectRefused(
      async (csr) => [await leafWithUris(csr, [])],
      'leaf has no uri san, want exactly one spiffe id',
    );
  });

  it('refuses a leaf with two URI SANs (X509-SVID §2)', async () => {
    await expectRefused(
      async (csr) => [await leafWithUris(csr, [BAD.spiffeId, 'spiffe://example.org/c'])],
      'leaf has 2 uri sans, want exactly one',
    );
  });

  it('refuses a leaf whose public key is not the one the agent generated', async () => {
    const { ca } = await makeManager();
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    await expectRefused(
      () => ca.mint(SpiffeId.fromString(BAD.spiffeId), other),
      'leaf public key is not the given public key',
    );
  });

  it('refuses a leaf for another SPIFFE ID than the entry', async () => {
    const { ca } = await makeManager();
    await expectRefused(
      async (csr) =>
        ca.mint(SpiffeId.fromString('spiffe://example.org/c'), await csrPublicKey(csr)),
      'svid is for spiffe://example.org/c, entry is for spiffe://example.org/b',
    );
  });

  it('accepts a well-formed leaf built the same way (the helper breaks only one rule)', async () => {
    const { api, manager } = await makeManager();
    api.put(BAD);
    const mint = api.newX509Svids.bind(api);
    api.newX509Svids = async (requests: readonly X509SvidRequest[]) => {
      const answers = await mint(requests);
      for (const [i, r] of requests.entries()) {
        const answer = answers[i];
        if (answer) answer.certChain = [await leafWithUris(r.csr, [BAD.spiffeId])];
      }
      return answers;
    };
    await manager.synchronize();
    expect([...manager.cache.svids().keys()]).toEqual([BAD.id]);
  });
});
