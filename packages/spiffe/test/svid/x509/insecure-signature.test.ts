import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  X509SvidErrorCode as Code,
  TrustDomain,
  verifyCertificatePath,
  X509Bundle,
  X509Svid,
} from '@spire-ts/spiffe';
import { afterAll, describe, expect, it } from 'vitest';

// Certificates here are made by the openssl CLI, which still signs with MD5 and SHA-1.
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'x509svid-weak-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const td = TrustDomain.fromString('example.org');

const EXTENSIONS = `
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectAltName = URI:spiffe://example.org
[leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = URI:spiffe://example.org/workload
`;

type KeyType = 'rsa' | 'ec' | 'dsa';

const KEYGEN: Record<KeyType, string[]> = {
  rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  ec: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  dsa: ['-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:2048'],
};

/** How a certificate is signed: the issuer's key type, the digest and extra `-sigopt`s. */
interface Signing {
  key: KeyType;
  digest: string;
  sigopts?: string[];
}

let serial = 0;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const keys = new Map<string, string>();

/** A private key file of `type`, made once per name. */
function keyFile(type: KeyType, name: string = type): string {
  const file = join(dir, `${name}.key`);
  if (keys.has(name)) return file;
  if (type === 'dsa') {
    openssl(['genpkey', '-genparam', ...KEYGEN.dsa, '-out', join(dir, 'dsa.params')]);
    openssl(['genpkey', '-paramfile', join(dir, 'dsa.params'), '-out', file]);
  } else {
    openssl(['genpkey', ...KEYGEN[type], '-out', file]);
  }
  keys.set(name, file);
  return file;
}

function config(): string {
  const file = join(dir, 'ext.cnf');
  writeFileSync(file, EXTENSIONS);
  return file;
}

function sigopts(signing: Signing): string[] {
  return (signing.sigopts ?? []).flatMap((opt) => ['-sigopt', opt]);
}

/** A self-signed root CA over a `signing.key` key, itself signed with `signing.digest`. */
function opensslRoot(name: string, signing: Signing): string {
  const out = join(dir, `${name}.pem`);
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    keyFile(signing.key),
    '-subj',
    `/CN=Root ${name}`,
    '-days',
    '1',
    `-${signing.digest}`,
    ...sigopts(signing),
    '-config',
    config(),
    '-extensions',
    'ca',
    '-out',
    out,
  ]);
  return out;
}

/** A certificate for `subjectKey` (CA or leaf extensions) signed by `issuer` as `signing` says. */
function opensslIssue(
  issuer: { cert: string; key: string },
  subjectKey: string,
  section: 'ca' | 'leaf',
  signing: Signing,
): string {
  const csr = join(dir, `req-${++serial}.csr`);
  const out = join(dir, `cert-${serial}.pem`);
  openssl(['req', '-new', '-key', subjectKey, '-subj', `/CN=${section} ${serial}`, '-out', csr]);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    issuer.cert,
    '-CAkey',
    issuer.key,
    '-set_serial',
    String(serial),
    '-days',
    '1',
    `-${signing.digest}`,
    ...sigopts(signing),
    '-extfile',
    config(),
    '-extensions',
    section,
    '-out',
    out,
  ]);
  return out;
}

/** `openssl x509 -text` of a PEM certificate, to confirm how openssl signed it. */
function describeCert(pem: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-text'], { input: pem, encoding: 'utf8' });
}

function pemOf(file: string): string {
  return readFileSync(file, 'utf8');
}

function caught(fn: () => unknown): { code?: string; message?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  return {};
}

/** Runs `make`, or skips the test saying what this openssl refused to make. */
function made<T>(skip: (note: string) => never, what: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? err).trim();
    return skip(`this openssl refuses to make ${what}: ${stderr.split('\n')[0]}`);
  }
}

/** A leaf over an EC key, signed by a fresh `signing.key` root as `signing` says. */
function weakLeaf(name: string, signing: Signing) {
  const root = opensslRoot(name, { key: signing.key, digest: 'sha256' });
  const leaf = opensslIssue(
    { cert: root, key: keyFile(signing.key) },
    keyFile('ec', 'leaf'),
    'leaf',
    signing,
  );
  return { root: pemOf(root), leaf: pemOf(leaf) };
}

const REFUSED: [string, Signing, string][] = [
  [
    'md5WithRSAEncryption',
    { key: 'rsa', digest: 'md5' },
    'md5WithRSAEncryption, which relies on the broken hash MD5',
  ],
  [
    'sha1WithRSAEncryption',
    { key: 'rsa', digest: 'sha1' },
    'sha1WithRSAEncryption, which relies on the broken hash SHA-1',
  ],
  [
    'ecdsa-with-SHA1',
    { key: 'ec', digest: 'sha1' },
    'ecdsa-with-SHA1, which relies on the broken hash SHA-1',
  ],
  [
    'dsa-with-sha1',
    { key: 'dsa', digest: 'sha1' },
    'dsa-with-sha1, which relies on the broken hash SHA-1',
  ],
  [
    'RSASSA-PSS with the SHA-1 hash (RFC 4055 §3.1 defaults)',
    { key: 'rsa', digest: 'sha1', sigopts: ['rsa_padding_mode:pss'] },
    'RSASSA-PSS (hash SHA-1, mgf1 hash SHA-1), which relies on the broken hash SHA-1',
  ],
  [
    'RSASSA-PSS with SHA-256 but an MGF1 over SHA-1',
    { key: 'rsa', digest: 'sha256', sigopts: ['rsa_padding_mode:pss', 'rsa_mgf1_md:sha1'] },
    'RSASSA-PSS (hash SHA-256, mgf1 hash SHA-1), which relies on the broken hash SHA-1',
  ],
];

const ACCEPTED: [string, Signing][] = [
  ['sha256WithRSAEncryption', { key: 'rsa', digest: 'sha256' }],
  ['ecdsa-with-SHA256', { key: 'ec', digest: 'sha256' }],
  ['dsa_with_SHA256', { key: 'dsa', digest: 'sha256' }],
  ['RSASSA-PSS with SHA-256', { key: 'rsa', digest: 'sha256', sigopts: ['rsa_padding_mode:pss'] }],
];

describe.skipIf(!hasOpenssl)(
  'signatures on MD5 or SHA-1 are refused where checked (as Go crypto/x509)',
  () => {
    it.for(REFUSED)('a leaf signed with %s is refused', ([name, signing, algorithm], { skip }) => {
      const { root, leaf } = made(skip, `a leaf signed with ${name}`, () =>
        weakLeaf(name, signing),
      );
      const bundle = new X509Bundle(td, [new X509Certificate(root)]);
      expect(caught(() => X509Svid.verify(leaf, bundle))).toMatchObject({
        code: Code.InsecureSignatureAlgorithm,
        message: `leaf is signed with ${algorithm}; it must be re-issued with sha-256 or stronger`,
      });
    });

    it.for(ACCEPTED)(
      'a leaf signed with %s by the same kind of key is accepted',
      ([name, signing], { skip }) => {
        const { root, leaf } = made(skip, `a leaf signed with ${name}`, () =>
          weakLeaf(name, signing),
        );
        const bundle = new X509Bundle(td, [new X509Certificate(root)]);
        expect(X509Svid.verify(leaf, bundle).id.toString()).toBe('spiffe://example.org/workload');
      },
    );

    it('an intermediate signed with SHA-1 is refused, naming it', ({ skip }) => {
      const chain = made(skip, 'a SHA-1 intermediate', () => {
        const root = opensslRoot('inter-root', { key: 'rsa', digest: 'sha256' });
        const interKey = keyFile('ec', 'inter');
        const inter = opensslIssue({ cert: root, key: keyFile('rsa') }, interKey, 'ca', {
          key: 'rsa',
          digest: 'sha1',
        });
        const leaf = opensslIssue({ cert: inter, key: interKey }, keyFile('ec', 'leaf'), 'leaf', {
          key: 'ec',
          digest: 'sha256',
        });
        return { root: pemOf(root), chain: pemOf(leaf) + pemOf(inter) };
      });
      const bundle = new X509Bundle(td, [new X509Certificate(chain.root)]);
      expect(caught(() => X509Svid.verify(chain.chain, bundle))).toMatchObject({
        code: Code.InsecureSignatureAlgorithm,
        message:
          'intermediate 1 is signed with sha1WithRSAEncryption, which relies on the broken hash ' +
          'SHA-1; it must be re-issued with sha-256 or stronger',
      });
    });

    it('a bundle authority self-signed with SHA-1 is accepted: its own signature is never checked', ({
      skip,
    }) => {
      const { root, leaf } = made(skip, 'a SHA-1 root', () => {
        const rootFile = opensslRoot('sha1-root', { key: 'ec', digest: 'sha1' });
        const leafFile = opensslIssue(
          { cert: rootFile, key: keyFile('ec') },
          keyFile('ec', 'leaf'),
          'leaf',
          { key: 'ec', digest: 'sha256' },
        );
        return { root: pemOf(rootFile), leaf: pemOf(leafFile) };
      });
      const authority = new X509Certificate(root);
      expect(describeCert(root)).toContain('Signature Algorithm: ecdsa-with-SHA1');
      const result = X509Svid.verify(leaf, new X509Bundle(td, [authority]));
      expect(result.verifiedChain.at(-1)).toBe(authority);
    });

    it('verifyCertificatePath (x509pop) refuses a SHA-1 leaf too', ({ skip }) => {
      const signing: Signing = { key: 'ec', digest: 'sha1' };
      const { root, leaf } = made(skip, 'an ecdsa-with-SHA1 leaf', () => weakLeaf('pop', signing));
      const err = caught(() =>
        verifyCertificatePath([new X509Certificate(leaf)], [new X509Certificate(root)], new Date()),
      );
      expect(err.code).toBe(Code.InsecureSignatureAlgorithm);
    });
  },
);

describe.skipIf(hasOpenssl)('signature algorithm checks without openssl', () => {
  it('are skipped: the openssl CLI is not installed', () => {
    expect(hasOpenssl).toBe(false);
  });
});
