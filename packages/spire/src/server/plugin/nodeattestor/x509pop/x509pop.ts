import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  Certificate,
  type Extension,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  KeyUsage,
  KeyUsageFlags,
  SubjectAlternativeName,
} from '@peculiar/asn1-x509';
import { certificateKeyProblem } from '@spire-ts/spiffe';
import type { Clock } from '../../../../common/clock/clock.js';
import {
  fingerprint,
  generateChallenge,
  marshalChallenge,
  parseAttestationData,
  parseResponse,
  verifyChallengeResponse,
  X509PopError,
} from '../../../../common/plugin/x509pop/protocol.js';
import {
  type ChallengeExchange,
  NodeAttestationError,
  type NodeAttestationResult,
  type NodeSelector,
  type ServerNodeAttestor,
} from '../node-attestor.js';
import { renderTemplate, type X509PopConfig } from './config.js';

/**
 * Verifies `chain` (leaf first, then the peer's intermediates) up to one of `roots` at `at` by
 * RFC 5280 path validation, returning the path leaf first and the root last; throws otherwise.
 */
export type ChainVerifier = (
  chain: readonly X509Certificate[],
  roots: readonly X509Certificate[],
  at: Date,
) => X509Certificate[];

/** Options of {@link X509PopAttestor}. */
export interface X509PopAttestorOptions {
  readonly trustDomain: string;
  readonly config: X509PopConfig;
  readonly clock: Clock;
  readonly verifyChain: ChainVerifier;
}

const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Most certificates accepted in attestation data (the leaf and its intermediates). Real node
 * chains have a handful; each certificate costs a parse before any signature is checked, so an
 * unauthenticated caller padding the chain with thousands made every attempt cost about a second
 * of server CPU (SPIRE fixed an x509pop CPU-exhaustion DoS in 1.13.4/1.14.2).
 */
export const MAX_CHAIN_CERTIFICATES = 32;

/**
 * `NodeAttestor "x509pop"` (external_pki mode): the node presents a certificate chain that must
 * lead to one of the configured CAs, then proves possession of the leaf's private key by signing
 * a fresh nonce. Agent ID `spiffe://<td>/spire/agent/<agent_path_template>`; selectors
 * `subject:cn`, `ca:fingerprint` (every certificate above the leaf), `serialnumber` and `san`.
 * Nodes can re-attest.
 */
export class X509PopAttestor implements ServerNodeAttestor {
  readonly name = 'x509pop';
  readonly #options: X509PopAttestorOptions;
  readonly #roots: X509Certificate[];

  /**
   * Reads the CA bundles now, as SPIRE does when the plugin is configured, so that a bad
   * `ca_bundle_path` stops the server at start instead of failing every attestation.
   * @throws Error naming the file and what is wrong with it
   */
  constructor(options: X509PopAttestorOptions) {
    this.#options = options;
    this.#roots = options.config.caBundlePaths.flatMap(loadCaBundle);
  }

  async attest(payload: Uint8Array, exchange: ChallengeExchange): Promise<NodeAttestationResult> {
    const chain = this.#parseChain(payload);
    const leaf = chain[0] as X509Certificate;
    const verified = this.#verify(chain, this.#roots);

    if (!hasDigitalSignature(leaf)) {
      throw refused('certificate not intended for digital signature use');
    }
    const challenge = generateChallenge(leaf.publicKey);
    const answer = await exchange(marshalChallenge(challenge));
    try {
      verifyChallengeResponse(leaf.publicKey, challenge, parseResponse(answer));
    } catch (cause) {
      throw refused(`challenge response verification failed: ${messageOf(cause)}`);
    }

    return {
      agentId: this.#agentId(leaf),
      selectors: this.#selectors(leaf, verified),
      canReattest: true,
    };
  }

  #parseChain(payload: Uint8Array): X509Certificate[] {
    let ders: readonly Uint8Array[];
    try {
      ders = parseAttestationData(payload).certificates;
    } catch (cause) {
      throw new NodeAttestationError('invalid_argument', `x509pop: ${messageOf(cause)}`);
    }
    if (ders.length === 0)
      throw new NodeAttestationError('invalid_argument', 'x509pop: no certificate to attest');
    if (ders.length > MAX_CHAIN_CERTIFICATES) {
      throw new NodeAttestationError(
        'invalid_argument',
        `x509pop: attestation data has ${ders.length} certificates; at most ` +
          `${MAX_CHAIN_CERTIFICATES} (the leaf and its intermediates) are accepted`,
      );
    }
    return ders.map((der, i) => {
      const which = i === 0 ? 'leaf certificate' : `intermediate certificate ${i - 1}`;
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(der);
      } catch {
        throw new NodeAttestationError('invalid_argument', `x509pop: unable to parse ${which}`);
      }
      checkPublicKey(cert, which);
      return cert;
    });
  }

  #verify(chain: X509Certificate[], roots: X509Certificate[]): X509Certificate[] {
    try {
      return this.#options.verifyChain(chain, roots, new Date(this.#options.clock.now()));
    } catch (cause) {
      throw refused(`certificate verification failed: ${messageOf(cause)}`);
    }
  }

  #agentId(leaf: X509Certificate): string {
    const path = renderTemplate(this.#options.config.agentPathTemplate, {
      PluginName: this.name,
      Fingerprint: fingerprint(leaf.raw),
      TrustDomain: this.#options.trustDomain,
      'Subject.CommonName': commonName(leaf) ?? '',
      SerialNumberHex: serialHex(leaf),
    });
    const segments = path.split('/');
    if (segments.some((s) => !PATH_SEGMENT.test(s) || s === '.' || s === '..')) {
      throw refused(
        `agent_path_template produced "${path}", which is not a valid SPIFFE ID path; ` +
          'check the template and the node certificate',
      );
    }
    return `spiffe://${this.#options.trustDomain}/spire/agent/${path}`;
  }

  #selectors(leaf: X509Certificate, verified: X509Certificate[]): NodeSelector[] {
    const values: string[] = [];
    const cn = commonName(leaf);
    if (cn) values.push(`subject:cn:${cn}`);
    const seen = new Set<string>();
    for (const cert of verified.slice(1)) {
      const fp = fingerprint(cert.raw);
      if (seen.has(fp)) continue;
      seen.add(fp);
      values.push(`ca:fingerprint:${fp}`);
    }
    values.push(`serialnumber:${serialHex(leaf)}`);
    for (const [key, value] of sanSelectors(leaf, this.#options.trustDomain)) {
      values.push(`san:${key}:${value}`);
    }
    return values.map((value) => ({ type: this.name, value }));
  }
}

/** The certificates of one PEM CA bundle file; throws a message naming the file. */
function loadCaBundle(path: string): X509Certificate[] {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (cause) {
    const why =
      (cause as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file or directory'
        : messageOf(cause);
    throw new Error(`x509pop: unable to read ca bundle ${path}: ${why}; check ca_bundle_path`, {
      cause,
    });
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new Error(
      `x509pop: no certificate in ca bundle ${path}; it must hold PEM CERTIFICATE blocks`,
    );
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (cause) {
      throw new Error(`x509pop: certificate ${i + 1} of ca bundle ${path} cannot be parsed`, {
        cause,
      });
    }
  });
}

/**
 * Refuses a certificate whose public key cannot be used: an EC point at infinity would abort the
 * server process when the challenge response is checked (Node reads the key's curve), so such a
 * chain is stopped here, before anything reads the key.
 */
function checkPublicKey(cert: X509Certificate, which: string): void {
  let problem: string | undefined;
  try {
    problem = certificateKeyProblem(cert);
  } catch {
    problem = 'cannot be read';
  }
  if (problem !== undefined) {
    throw new NodeAttestationError('invalid_argument', `x509pop: ${which} public key ${problem}`);
  }
}

function refused(message: string): NodeAttestationError {
  return new NodeAttestationError('permission_denied', `x509pop: ${message}`);
}

function messageOf(err: unknown): string {
  if (err instanceof X509PopError) return err.message.replace(/^x509pop: /, '');
  return err instanceof Error ? err.message : String(err);
}

/** The leaf's key usage, when present, must allow digital signatures (as SPIRE checks). */
function hasDigitalSignature(cert: X509Certificate): boolean {
  const ext = parsedExtensions(cert).find((e) => e.extnID === id_ce_keyUsage);
  if (!ext) return true;
  const usage = AsnConvert.parse(ext.extnValue, KeyUsage);
  return (usage.toNumber() & KeyUsageFlags.digitalSignature) !== 0;
}

function parsedExtensions(cert: X509Certificate): Extension[] {
  return AsnConvert.parse(cert.raw, Certificate).tbsCertificate.extensions ?? [];
}

function commonName(cert: X509Certificate): string | undefined {
  for (const line of cert.subject.split('\n')) {
    if (line.startsWith('CN=')) return line.slice(3);
  }
  return undefined;
}

/** Lower-case hex of the serial number, padded to an even number of digits (as SPIRE prints). */
function serialHex(cert: X509Certificate): string {
  const hex = cert.serialNumber.toLowerCase().replace(/^0+(?=.)/, '');
  return hex.length % 2 === 1 ? `0${hex}` : hex;
}

/** `x509pop://<td>/<key>/<value...>` URI SANs of the leaf, as [key, value] pairs. */
function sanSelectors(cert: X509Certificate, trustDomain: string): [string, string][] {
  const ext = parsedExtensions(cert).find((e) => e.extnID === id_ce_subjectAltName);
  if (!ext) return [];
  const prefix = `x509pop://${trustDomain}/`;
  const pairs: [string, string][] = [];
  for (const name of AsnConvert.parse(ext.extnValue, SubjectAlternativeName)) {
    const uri = name.uniformResourceIdentifier;
    if (uri === undefined || !uri.startsWith(prefix)) continue;
    const rest = uri.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash <= 0 || slash === rest.length - 1) continue;
    pairs.push([rest.slice(0, slash), rest.slice(slash + 1)]);
  }
  return pairs;
}
