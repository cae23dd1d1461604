/** Checks on the SPIFFE IDs and DNS names the SVID API signs for. */
import { SpiffeId } from '@spire-ts/spiffe';
import { checkDnsName } from '../../credtemplate/index.js';
import type { ServerContext } from '../context.js';

/** A request value that cannot be signed for; the message names the rule. */
export class SvidRequestError extends Error {}

/**
 * A workload ID of our trust domain (SPIRE's `VerifyTrustDomainWorkloadID`): a member, with a
 * path, outside the `/spire/` namespace the server reserves for itself and its agents (§3.6).
 */
export function workloadId(ctx: ServerContext, id: SpiffeId): SpiffeId {
  if (!id.memberOf(ctx.trustDomain)) {
    throw new SvidRequestError(`"${id}" is not a member of trust domain "${ctx.trustDomain.name}"`);
  }
  if (id.path === '') {
    throw new SvidRequestError(`"${id}" has no path; the trust domain ID names no workload`);
  }
  if (id.path.startsWith('/spire/')) {
    throw new SvidRequestError(`"${id}" is in the reserved /spire/ namespace`);
  }
  return id;
}

/** Parses `spiffe://...` text into a workload ID, see {@link workloadId}. */
export function parseWorkloadId(ctx: ServerContext, text: string): SpiffeId {
  let id: SpiffeId;
  try {
    id = SpiffeId.fromString(text);
  } catch (err) {
    throw new SvidRequestError(err instanceof Error ? err.message : String(err));
  }
  return workloadId(ctx, id);
}

/** Each name must be a valid DNS SAN; `*.` is allowed only as the whole first label (D14). */
export function checkDnsNames(names: readonly string[]): void {
  for (const name of names) {
    try {
      checkDnsName(name);
    } catch (err) {
      throw new SvidRequestError(err instanceof Error ? err.message : String(err));
    }
  }
}

/**
 * True when a wildcard name covers another name of the same request (`*.example.org` with
 * `api.example.org`), which SPIRE refuses (`x509util.CheckForWildcardOverlap`).
 */
export function wildcardOverlap(names: readonly string[]): boolean {
  const covered = new Set(names.filter((n) => n.startsWith('*.')).map((n) => n.slice(2)));
  return names.some((n) => {
    if (n.startsWith('*.')) return false;
    const dot = n.indexOf('.');
    return dot !== -1 && covered.has(n.slice(dot + 1));
  });
}
