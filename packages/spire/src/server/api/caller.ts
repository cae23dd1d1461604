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
import { normalizeSerial } from '../cache/node-status.js';
import type { Caller, ServerContext } from './context.js';

/** Serial form of attested-node records (kept here for existing importers). */
export { normalizeSerial };

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

type X509Caller = Extract<Caller, { kind: 'x509' }>;

/**
 * A chain verified on a connection. The chain cannot change within a TLS connection, so it is
 * verified once; each call then re-checks the two things that can change: the time (it must lie
 * within every certificate's validity on the path) and the trust (the authority that ended the
 * path must still be in the bundle). Failing either, the chain is verified again from scratch.
 */
interface VerifiedChain {
  readonly ctx: ServerContext;
  readonly caller: X509Caller;
  /** DER of the bundle authority that ended the path. */
  readonly anchor: Buffer;
  /** Latest notBefore and earliest notAfter on the path, milliseconds. */
  readonly validFromMs: number;
  readonly validUntilMs: number;
}

/** Verified chains by the presented-certificates array, which a connection's peer holds once. */
const verifiedChains = new WeakMap<readonly Uint8Array[], VerifiedChain>();

async function x509Caller(
  ctx: ServerContext,
  chain: readonly Uint8Array[],
  remoteAddress: string,
): Promise<Caller> {
  const held = verifiedChains.get(chain);
  if (
    held?.ctx === ctx &&
    withinValidity(held) &&
    (trustedByCa(held) || (await trustedByStore(held)))
  ) {
    return held.caller;
  }

  const verified = await verifyChain(ctx, chain, remoteAddress);
  verifiedChains.set(chain, verified);
  return verified.caller;
}

/** Now lies within the validity of every certificate on the verified path. */
function withinValidity(held: VerifiedChain): boolean {
  const now = held.ctx.clock.now();
  return now >= held.validFromMs && now <= held.validUntilMs;
}

/** The path's anchor is still one of our own CA's authorities (memory only). */
function trustedByCa({ ctx, caller, anchor }: VerifiedChain): boolean {
  if (!caller.id.trustDomain.equals(ctx.trustDomain)) return false;
  return ctx.ca.bundle().x509Authorities.some((a) => anchor.equals(a));
}

/** The path's anchor is still in the stored bundle of the caller's trust domain. */
async function trustedByStore({ ctx, caller, anchor }: VerifiedChain): Promise<boolean> {
  const stored = await ctx.datastore.fetchBundle(caller.id.trustDomain.name);
  return stored?.x509Authorities.some((a) => anchor.equals(a.asn1)) === true;
}

/** Full verification of the chain against the bundle of the leaf's trust domain, now. */
async function verifyChain(
  ctx: ServerContext,
  chain: readonly Uint8Array[],
  remoteAddress: string,
): Promise<VerifiedChain> {
  const leafInfo = unverifiedLeaf(chain[0]);
  const td = leafInfo.id?.trustDomain;
  try {
    const bundle = td ? await x509BundleFor(ctx, td) : undefined;
    if (!bundle) throw new Error(`no bundle for trust domain "${td?.name ?? ''}"`);
    const verified = X509Svid.verify(joinDer(chain), bundle, { at: new Date(ctx.clock.now()) });
    return verifiedChainOf(ctx, verified.id, chain, verified.verifiedChain, remoteAddress);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new CallerVerificationError(
      `caller certificate is not a valid X509-SVID: ${why}`,
      leafInfo,
      err,
    );
  }
}

function verifiedChainOf(
  ctx: ServerContext,
  id: SpiffeId,
  chain: readonly Uint8Array[],
  path: readonly X509Certificate[],
  remoteAddress: string,
): VerifiedChain {
  const leaf = path[0] as X509Certificate;
  const anchor = path[path.length - 1] as X509Certificate;
  const caller: X509Caller = {
    kind: 'x509',
    id,
    chain,
    serialNumber: normalizeSerial(leaf.serialNumber),
    expiresAt: Math.floor(Date.parse(leaf.validTo) / 1000),
    remoteAddress,
  };
  return {
    ctx,
    caller,
    anchor: anchor.raw,
    validFromMs: Math.max(...path.map((c) => Date.parse(c.validFrom))),
    validUntilMs: Math.min(...path.map((c) => Date.parse(c.validTo))),
  };
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
