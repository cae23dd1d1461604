import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrustDomain, X509Bundle, X509Svid } from '@spire-ts/spiffe';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createCa,
  createChain,
  createIntermediate,
  createLeaf,
  type KeyAlgorithm,
} from '../../support/certs.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'x509svid-openssl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const td = TrustDomain.fromString('example.org');

/** Runs `openssl verify -x509_strict` on a leaf with a root file and an untrusted-intermediates file. */
function opensslVerify(name: string, root: string, intermediates: string, leaf: string): string {
  const files = {
    root: join(dir, `${name}-root.pem`),
    untrusted: join(dir, `${name}-untrusted.pem`),
    leaf: join(dir, `${name}-leaf.pem`),
  };
  writeFileSync(files.root, root);
  writeFileSync(files.untrusted, intermediates);
  writeFileSync(files.leaf, leaf);
  const args = ['verify', '-x509_strict', '-CAfile', files.root];
  if (intermediates !== '') args.push('-untrusted', files.untrusted);
  return execFileSync('openssl', [...args, files.leaf], { encoding: 'utf8' });
}

describe('test certificate factory', () => {
  const shapes: [string, number, KeyAlgorithm][] = [
    ['leaf only, P-256', 0, 'ec-p256'],
    ['leaf and one intermediate, P-256', 1, 'ec-p256'],
    ['leaf and two intermediates, P-256', 2, 'ec-p256'],
  ];

  it.each(shapes)('%s passes X509Svid.parse and verify', (_n, depth) => {
    const { root, leaf, chain } = createChain({ intermediates: depth });
    const svid = X509Svid.parse(Buffer.concat(chain.map((c) => c.der)), leaf.privateKey);
    const result = X509Svid.verify(svid.certificates, new X509Bundle(td, [root.cert]));
    expect(result.id.toString()).toBe('spiffe://example.org/workload');
    expect(result.verifiedChain.map((c) => c.fingerprint256)).toEqual(
      [...chain, root].map((c) => c.cert.fingerprint256),
    );
  });

  it.skipIf(!hasOpenssl).each(shapes)('%s passes openssl verify -x509_strict', (name, depth) => {
    const { root, intermediates, leaf } = createChain({ intermediates: depth });
    const untrusted = intermediates.map((c) => c.pem).join('');
    const out = opensslVerify(name.replace(/\W+/g, '-'), root.pem, untrusted, leaf.pem);
    expect(out.trim()).toMatch(/: OK$/);
  });

  it.skipIf(!hasOpenssl).each(['ec-p384', 'rsa-2048', 'ed25519'] as KeyAlgorithm[])(
    'a %s chain passes openssl verify -x509_strict and X509Svid.verify',
    (alg) => {
      const root = createCa({ keyAlgorithm: alg });
      const inter = createIntermediate(root, { keyAlgorithm: alg });
      const leaf = createLeaf(inter, { keyAlgorithm: alg });
      expect(opensslVerify(`alg-${alg}`, root.pem, inter.pem, leaf.pem).trim()).toMatch(/: OK$/);
      const result = X509Svid.verify([leaf.cert, inter.cert], new X509Bundle(td, [root.cert]));
      expect(result.verifiedChain).toHaveLength(3);
    },
  );

  it.skipIf(hasOpenssl)('openssl cross-check is skipped: the openssl CLI is not installed', () => {
    expect(hasOpenssl).toBe(false);
  });
});
