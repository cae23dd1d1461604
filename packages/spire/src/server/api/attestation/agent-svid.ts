/**
 * Signing an agent's X509-SVID from the CSR it sent, shared by AttestAgent and RenewAgent. Only
 * the CSR's key is used: its subject and SANs are ignored and the ID comes from attestation (or
 * from the caller's own SVID on renewal), as SPIRE does since CVE-2021-27098.
 */
import { Code } from '@connectrpc/connect';
import type { SpiffeId } from '@spire-ts/spiffe';
import type { SpireLogger } from '../../../common/log/index.js';
import type { X509SVID } from '../../../gen/spire/api/types/x509svid_pb.js';
import type { SignedX509Svid } from '../../ca/index.js';
import type { ServerContext } from '../context.js';
import { toStatus } from '../status.js';
import { parseCsr } from './csr.js';
import { x509SvidProto } from './proto.js';

/** An agent SVID with what the attested-node record keeps of it. */
export interface AgentSvid {
  readonly proto: X509SVID;
  /** Serial number as the caller check compares it: lower-case hex without leading zeros. */
  readonly serial: string;
  /** notAfter, Unix seconds. */
  readonly expiresAt: number;
}

/** Parses and checks the CSR, then signs `agentId`'s SVID for its key with `agent_ttl`. */
export async function signAgentSvid(
  ctx: ServerContext,
  log: SpireLogger,
  agentId: SpiffeId,
  csr: Uint8Array,
): Promise<AgentSvid> {
  let publicKey: Buffer;
  try {
    publicKey = parseCsr(csr).publicKeyDer;
  } catch (err) {
    throw toStatus(log, 'failed to parse CSR', err, Code.InvalidArgument);
  }

  let signed: SignedX509Svid;
  try {
    signed = await ctx.ca.signAgentX509Svid({ spiffeId: agentId, publicKey });
  } catch (err) {
    throw toStatus(log, 'failed to sign X509 SVID', err, Code.Internal);
  }
  const expiresAt = Math.floor(signed.notAfterMs / 1000);
  return {
    proto: x509SvidProto(agentId, signed.certChain, expiresAt),
    serial: serialHex(signed.serial),
    expiresAt,
  };
}

/** Lower-case hex of a serial number's magnitude, without leading zeros. */
export function serialHex(magnitude: Uint8Array): string {
  return BigInt(`0x${Buffer.from(magnitude).toString('hex') || '0'}`).toString(16);
}

/** The decimal form SPIRE shows for a serial number (`agent list`, `types.Agent`). */
export function serialDecimal(hex: string): string {
  return hex === '' ? '' : BigInt(`0x${hex}`).toString(10);
}
