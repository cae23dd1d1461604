import {
  createPrivateKey,
  type KeyObject,
  randomBytes,
  webcrypto,
  X509Certificate,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as px from '@peculiar/x509';
import { certificateKeyProblem, ecPublicKeyProblem } from '@spire-ts/spiffe';
import { z } from 'zod';
import type { Clock } from '../../../../common/clock/index.js';
import { type MintedUpstreamCa, type UpstreamAuthority, UpstreamAuthorityError } from '../types.js';

/** plugin_data of UpstreamAuthority `disk`, as SPIRE names it. */
export const diskUpstreamAuthorityConfigSchema = z
  .object({
    cert_file_path: z.string().min(1, 'cert_file_path must not be empty'),
    key_file_path: z.string().min(1, 'key_file_path must not be empty'),
    bundle_file_path: z.string().min(1, 'bundle_file_path must not be empty').optional(),
  })
  .strict();

interface SigningCa {
  cert: px.X509Certificate;
  key: webcrypto.CryptoKey;
  algorithm: { name: string; hash?: string };
}

const BACKDATE_MS = 10_000;

/**
 * UpstreamAuthority `disk`: signs our intermediate CA with a CA certificate and key read from
 * files. Without `bundle_file_path` the certificate must be a self-signed root, which becomes the
 * bundle; with it, the bundle file holds the roots and `cert_file_path` may carry upstream
 * intermediates after the signing certificate.
 */
export class DiskUpstreamAuthority implements UpstreamAuthority {
  readonly name = 'disk';
  readonly #clock: Clock;
  readonly #intermediates: Buffer[];
  readonly #roots: Buffer[];
  readonly #signing: SigningCa;

  private constructor(clock: Clock, intermediates: Buffer[], roots: Buffer[], signing: SigningCa) {
    this.#clock = clock;
    this.#intermediates = intermediates;
    this.#roots = roots;
    this.#signing = signing;
  }

  /** Reads and checks the configured files. */
  static async open(pluginData: unknown, clock: Clock): Promise<DiskUpstreamAuthority> {
    const parsed = diskUpstreamAuthorityConfigSchema.safeParse(pluginData);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => i.message).join('; ');
      throw fail('ERR_UPSTREAMAUTHORITY_BAD_CONFIG', `disk upstream authority: ${detail}`);
    }
    const cfg = parsed.data;
    const chain = await readCerts(cfg.cert_file_path);
    const signingDer = chain[0] as Buffer;
    const signingCert = new X509Certificate(signingDer);
    const privateKey = await readKey(cfg.key_file_path);
    if (!signingCert.ca || !signingCert.checkPrivateKey(privateKey)) {
      throw fail(
        'ERR_UPSTREAMAUTHORITY_BAD_CERT',
        `${cfg.cert_file_path} must start with a ca certificate matching ${cfg.key_file_path}`,
      );
    }
    const roots = cfg.bundle_file_path ? await readCerts(cfg.bundle_file_path) : [signingDer];
    if (!cfg.bundle_file_path && !signingCert.checkIssued(signingCert)) {
      throw fail(
        'ERR_UPSTREAMAUTHORITY_BAD_CERT',
        'without bundle_file_path the upstream certificate must be a self-signed root',
      );
    }
    const intermediates = cfg.bundle_file_path ? chain : [];
    const signing = await importSigning(signingDer, privateKey);
    return new DiskUpstreamAuthority(clock, intermediates, roots, signing);
  }

  /** Verifies the CSR and issues a CA certificate for its key, capped at the upstream's expiry. */
  async mintX509Ca(csr: Uint8Array, preferredTtlMs: number): Promise<MintedUpstreamCa> {
    const request = await parseCsr(csr);
    const now = this.#clock.now();
    const { cert, key, algorithm } = this.#signing;
    const notAfterMs = Math.min(now + preferredTtlMs, cert.notAfter.getTime());
    if (notAfterMs <= now)
      throw fail('ERR_UPSTREAMAUTHORITY_EXPIRED', 'upstream ca certificate has expired');
    const skid = await px.SubjectKeyIdentifierExtension.create(request.publicKey);
    const upstreamSkid = cert.getExtension(px.SubjectKeyIdentifierExtension)?.keyId;
    const ca = await px.X509CertificateGenerator.create({
      serialNumber: positiveSerialHex(),
      subject: request.subjectName,
      issuer: cert.subjectName,
      notBefore: new Date(Math.floor((now - BACKDATE_MS) / 1000) * 1000),
      notAfter: new Date(Math.floor(notAfterMs / 1000) * 1000),
      publicKey: request.publicKey,
      signingKey: key,
      signingAlgorithm: algorithm,
      extensions: [
        new px.KeyUsagesExtension(px.KeyUsageFlags.keyCertSign | px.KeyUsageFlags.cRLSign, true),
        new px.BasicConstraintsExtension(true, undefined, true),
        skid,
        ...(upstreamSkid ? [new px.AuthorityKeyIdentifierExtension(upstreamSkid)] : []),
        ...request.extensions.filter((e) => e.type === '2.5.29.17'),
      ],
    });
    return {
      x509CaChain: [Buffer.from(ca.rawData), ...this.#intermediates],
      upstreamX509Roots: [...this.#roots],
    };
  }
}

// 127 random bits, top bit clear so the INTEGER stays positive, next bit set so it is non-zero.
function positiveSerialHex(): string {
  const serial = randomBytes(16);
  serial[0] = 0x40 | ((serial[0] as number) & 0x3f);
  return serial.toString('hex');
}

async function parseCsr(der: Uint8Array): Promise<px.Pkcs10CertificateRequest> {
  let request: px.Pkcs10CertificateRequest;
  try {
    request = new px.Pkcs10CertificateRequest(der);
  } catch (err) {
    throw fail('ERR_UPSTREAMAUTHORITY_BAD_CSR', 'csr is not a der pkcs#10 request', err);
  }
  if (!(await request.verify().catch(() => false))) {
    throw fail(
      'ERR_UPSTREAMAUTHORITY_BAD_CSR',
      'csr signature does not verify with its public key',
    );
  }
  return request;
}

async function readCerts(path: string): Promise<Buffer[]> {
  const pem = await readText(path);
  const blocks = [
    ...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g),
  ];
  const certs = blocks.map((m) => Buffer.from(m[1] ?? '', 'base64'));
  const parsed: X509Certificate[] = [];
  try {
    for (const der of certs) parsed.push(new X509Certificate(der));
  } catch (err) {
    throw fail(
      'ERR_UPSTREAMAUTHORITY_BAD_CERT',
      `${path} holds a certificate that does not parse`,
      err,
    );
  }
  // These become bundle authorities; marshalling an EC point at infinity aborts the process.
  for (const [i, cert] of parsed.entries()) {
    const problem = certificateKeyProblem(cert);
    if (problem !== undefined) {
      throw fail(
        'ERR_UPSTREAMAUTHORITY_BAD_CERT',
        `${path} certificate ${i} public key ${problem}`,
      );
    }
  }
  if (certs.length === 0)
    throw fail('ERR_UPSTREAMAUTHORITY_BAD_CERT', `${path} holds no PEM certificate`);
  return certs;
}

async function readKey(path: string): Promise<KeyObject> {
  const text = await readText(path);
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (err) {
    throw fail('ERR_UPSTREAMAUTHORITY_BAD_KEY', `${path} does not hold a PEM private key`, err);
  }
  // Node aborts when it reads the curve of an EC key at the point at infinity; refuse it here.
  const problem = ecPublicKeyProblem(key);
  if (problem !== undefined) {
    throw fail('ERR_UPSTREAMAUTHORITY_BAD_KEY', `${path} holds a private key that ${problem}`);
  }
  return key;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw fail('ERR_UPSTREAMAUTHORITY_UNREADABLE', `cannot read ${path}`, err);
  }
}

async function importSigning(certDer: Buffer, privateKey: KeyObject): Promise<SigningCa> {
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const curve = privateKey.asymmetricKeyDetails?.namedCurve;
  let algorithm: { name: string; hash: string; namedCurve?: string };
  if (privateKey.asymmetricKeyType === 'rsa')
    algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  else if (curve === 'prime256v1')
    algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  else if (curve === 'secp384r1')
    algorithm = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' };
  else
    throw fail('ERR_UPSTREAMAUTHORITY_BAD_KEY', 'upstream key must be rsa, ec p-256 or ec p-384');
  const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
  return { cert: new px.X509Certificate(certDer), key, algorithm };
}

function fail(code: string, message: string, cause?: unknown): UpstreamAuthorityError {
  return new UpstreamAuthorityError(code, message, { cause });
}
