/**
 * Who is calling (reference §3.9): read from the connection's peer information, and for a TLS
 * client certificate, verified as an X509-SVID against the bundle of the certificate's own trust
 * domain (ours from the CA manager and the datastore, a federated one from the datastore).
 */
import { X509Certificate } from 'node:crypto';
import type { HandlerContext } from '@connectrpc/connect';
import { Code, ConnectError } from '@connectrpc/connect';
import { SpiffeId, TrustDomain, X509Bundle, X509Svid } from '@spire-ts/spiffe';
import { callerPeer, type PeerInfo } from '../../common/grpc/index.js';
import type { Caller, ServerContext } from './context.js';

/**
 * The caller of the current RPC. A Unix-socket caller is `local`; a TLS caller with a certificate
 * chain is `x509` once the chain verifies; a TCP caller without one is `anonymous`.
 * @throws ConnectError Unauthenticated when the chain does not verify, Internal when the peer is
 *   unknown or its credentials could not be read
 */
export async function resolveCaller(ctx: ServerContext, handler: HandlerContext): Promise<Caller> {
  return callerFromPeer(ctx, callerPeer(handler));
}

/** {@link resolveCaller} from an already extracted peer. */
export async function callerFromPeer(
  ctx: ServerContext,
  peer: PeerInfo | undefined,
): Promise<Caller> {
  if (!peer) throw new ConnectError('caller peer information is missing', Code.Internal);
  if (peer.transport === 'unix') {
    if (!peer.credentials) {
      throw new ConnectError('failed to read caller credentials', Code.Internal, undefined, [], {
        cause: peer.error,
      });
    }
    const { pid, uid, gid } = peer.credentials;
    return { kind: 'local', pid, uid, gid };
  }
  const remoteAddress = `${peer.remoteAddress}:${peer.remotePort}`;
  if (peer.certificates.length === 0) return { kind: 'anonymous', remoteAddress };
  return x509Caller(ctx, peer.certificates, remoteAddress);
}

/** A leaf whose notAfter has passed: parsed without verification, used only to pick a reason. */
export interface UnverifiedLeaf {
  readonly id: SpiffeId | undefined;
  readonly expiresAt: number;
}

/** Error raised when the presented chain does not verify; carries what the leaf claims. */
export class CallerVerificationError extends ConnectError {
  constructor(
    message: string,
    readonly leaf: UnverifiedLeaf,
    cause: unknown,
  ) {
    super(message, Code.Unauthenticated, undefined, undefined, cause);
  }
}

async function x509Caller(
  ctx: ServerContext,
  chain: readonly Uint8Array[],
  remoteAddress: string,
): Promise<Caller> {
  const leafInfo = unverifiedLeaf(chain[0]);
  const td = leafInfo.id?.trustDomain;
  const bundle = td ? await x509BundleFor(ctx, td) : undefined;
  try {
    if (!bundle) throw new Error(`no bundle for trust domain "${td?.name ?? ''}"`);
    const verified = X509Svid.verify(joinDer(chain), bundle, {
      at: new Date(ctx.clock.now()),
    });
    const leaf = verified.verifiedChain[0] as X509Certificate;
    return {
      kind: 'x509',
      id: verified.id,
      chain,
      serialNumber: normalizeSerial(leaf.serialNumber),
      expiresAt: Math.floor(Date.parse(leaf.validTo) / 1000),
      remoteAddress,
    };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new CallerVerificationError(
      `caller certificate is not a valid X509-SVID: ${why}`,
      leafInfo,
      err,
    );
  }
}

/** Reads the leaf's URI SAN and expiry without trusting them (for denial reasons only). */
function unverifiedLeaf(der: Uint8Array | undefined): UnverifiedLeaf {
  try {
    const cert = new X509Certificate(der ?? new Uint8Array());
    const uri = cert.subjectAltName
      ?.split(', ')
      .find((san) => san.startsWith('URI:'))
      ?.slice(4);
    return {
      id: uri ? SpiffeId.fromString(uri) : undefined,
      expiresAt: Math.floor(Date.parse(cert.validTo) / 1000),
    };
  } catch {
    return { id: undefined, expiresAt: 0 };
  }
}

/**
 * The X.509 authorities trusted for `td`: for our own trust domain the CA manager's current
 * bundle plus any authorities appended to the stored bundle; for another, its stored bundle.
 */
export async function x509BundleFor(
  ctx: ServerContext,
  td: TrustDomain,
): Promise<X509Bundle | undefined> {
  const stored = await ctx.datastore.fetchBundle(td.name);
  const ders: Uint8Array[] = stored ? stored.x509Authorities.map((a) => a.asn1) : [];
  if (td.equals(ctx.trustDomain)) ders.push(...ctx.ca.bundle().x509Authorities);
  if (ders.length === 0) return undefined;
  const unique = new Map(ders.map((d) => [Buffer.from(d).toString('base64'), d]));
  return new X509Bundle(
    td,
    [...unique.values()].map((d) => new X509Certificate(d)),
  );
}

/** A certificate serial as the attested-node records hold it: lower-case hex, no leading zeros. */
export function normalizeSerial(serial: string): string {
  const hex = serial.replace(/:/g, '').toLowerCase().replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}

function joinDer(chain: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(chain.map((c) => Buffer.from(c)));
}

/** Parses a trust domain name leniently for lookups; undefined when malformed. */
export function trustDomainOrUndefined(name: string): TrustDomain | undefined {
  try {
    return TrustDomain.fromString(name);
  } catch {
    return undefined;
  }
}
