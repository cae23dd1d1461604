/**
 * Bundle formats of the `bundle` verbs (SPIRE's `cmd/spire-server/cli/bundle/common.go`): `pem`
 * (the X.509 authorities as CERTIFICATE blocks) and `spiffe` (the SPIFFE bundle document,
 * Bundle §4, indented four spaces), both ways between text and the API's `Bundle`.
 */
import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { SpiffeBundle, TrustDomain, X509Bundle } from '@spire-ts/spiffe';
import { type Bundle, BundleSchema } from '../../../gen/spire/api/types/bundle_pb.js';
import { CliError } from '../client.js';
import { pem } from '../x509/mint.js';

/** The two bundle formats. */
export type BundleFormat = 'pem' | 'spiffe';

const HEADER_RULE = '*'.repeat(40);

/** `-format`, checked ignoring case; an empty value means `pem`. */
export function bundleFormat(text: string): BundleFormat {
  const format = text === '' ? 'pem' : text.toLowerCase();
  if (format !== 'pem' && format !== 'spiffe') throw new CliError(`invalid format: "${format}"`);
  return format;
}

/** The bundle as text in `format`; with `header`, preceded by SPIRE's banner naming it. */
export function bundleText(bundle: Bundle, format: BundleFormat, header = false): string {
  const banner = header ? `${HEADER_RULE}\n* ${bundle.trustDomain}\n${HEADER_RULE}\n` : '';
  if (format === 'pem') {
    return banner + bundle.x509Authorities.map((a) => pem(a.asn1, 'CERTIFICATE')).join('');
  }
  return `${banner}${toSpiffeBundle(bundle).marshal(4)}\n`;
}

function toSpiffeBundle(bundle: Bundle): SpiffeBundle {
  const jwtAuthorities = new Map<string, KeyObject>();
  for (const key of bundle.jwtAuthorities) {
    jwtAuthorities.set(
      key.keyId,
      createPublicKey({ key: Buffer.from(key.publicKey), format: 'der', type: 'spki' }),
    );
  }
  return new SpiffeBundle(TrustDomain.fromString(bundle.trustDomain), {
    x509Authorities: bundle.x509Authorities.map((a) => new X509Certificate(a.asn1)),
    jwtAuthorities,
    ...(bundle.refreshHint > 0n ? { refreshHintSeconds: Number(bundle.refreshHint) } : {}),
    ...(bundle.sequenceNumber > 0n ? { sequenceNumber: bundle.sequenceNumber } : {}),
  });
}

/**
 * Reads `bytes` in `format` as the bundle of trust domain `id`. PEM input must hold at least one
 * CERTIFICATE block and no other kind; text around the blocks is allowed (bug-cases-2 D10).
 */
export function parseBundle(bytes: Uint8Array, format: BundleFormat, id: string): Bundle {
  const td = parseOr('', () => TrustDomain.fromString(id));
  if (format === 'pem') {
    const certs = parseOr('unable to parse bundle data: ', () =>
      X509Bundle.fromPem(td, bytes).x509Authorities(),
    );
    if (certs.length === 0) {
      throw new CliError('unable to parse bundle data: no PEM blocks found');
    }
    return create(BundleSchema, {
      trustDomain: td.name,
      x509Authorities: certs.map((c) => ({ asn1: new Uint8Array(c.raw) })),
    });
  }
  const doc = parseOr('unable to parse to spiffe bundle: ', () => SpiffeBundle.parse(td, bytes));
  return create(BundleSchema, {
    trustDomain: td.name,
    x509Authorities: doc.x509Authorities().map((c) => ({ asn1: new Uint8Array(c.raw) })),
    jwtAuthorities: [...doc.jwtAuthorities()].map(([keyId, key]) => ({
      keyId,
      publicKey: new Uint8Array(key.export({ format: 'der', type: 'spki' })),
    })),
    refreshHint: BigInt(doc.refreshHintSeconds ?? 0),
    sequenceNumber: doc.sequenceNumber ?? 0n,
  });
}

function parseOr<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new CliError(`${prefix}${err instanceof Error ? err.message : String(err)}`);
  }
}
