import type { KeyObject, X509Certificate } from 'node:crypto';
import { type CertInfo, certInfo } from './certinfo.js';
import { certLabel, publicKeyOf } from './decode.js';
import { X509SvidErrorCode as Code, X509SvidError } from './errors.js';
import { checkNameConstraints } from './name-constraints.js';
import { isSelfIssued, namesChain } from './names.js';
import { checkCriticalExtensions, checkSigningCert } from './rules.js';
import { checkSignatureAlgorithm } from './signature-algorithm.js';

/**
 * Most signature checks one path building may spend, as Go's crypto/x509 caps it. Without a cap
 * a bundle of many authorities sharing the leaf's issuer name costs one check per authority.
 */
export const MAX_SIGNATURE_CHECKS = 100;

/** One certificate of a path with the name errors use for it. */
interface Link {
  info: CertInfo;
  label: string;
}

/**
 * Builds the path from `chain[0]` (the leaf) to one of `authorities` and validates it per
 * RFC 5280 §6.1 (X509-SVID §5.1). Returns the path, leaf first and the authority last.
 *
 * Path building is greedy and linear: at each step a bundle authority that issued the current
 * certificate ends the path; otherwise the issuer is sought among the peer's unused
 * certificates (any order). No backtracking, so a hostile chain cannot make it search, and
 * at most {@link MAX_SIGNATURE_CHECKS} signatures are checked, so a hostile bundle cannot either.
 * Only certificates whose signature is checked (all but the authority) must not use MD5 or SHA-1.
 */
export function verifyPath(
  chain: readonly X509Certificate[],
  authorities: readonly X509Certificate[],
  at: Date,
): X509Certificate[] {
  const links = buildPath(chain, authorities);
  validatePath(links, at);
  return links.map((l) => l.info.cert);
}

function buildPath(
  chain: readonly X509Certificate[],
  authorities: readonly X509Certificate[],
): Link[] {
  const path: Link[] = [{ info: certInfo(chain[0] as X509Certificate, 'leaf'), label: 'leaf' }];
  const unused = new Set(chain.keys());
  unused.delete(0);
  const budget = { checks: 0 };

  for (;;) {
    const current = path[path.length - 1] as Link;
    checkSignatureAlgorithm(current.info, current.label);
    const authorityLabel = (i: number) => `bundle authority ${i + 1}`;
    const found = findIssuer(current, authorities.entries(), authorityLabel, budget);
    if (found.issuer) return [...path, found.issuer];

    const candidates = [...unused].map((i) => [i, chain[i] as X509Certificate] as const);
    const next = findIssuer(current, candidates, certLabel, budget);
    if (!next.issuer) throw found.error ?? next.error ?? noIssuer(current);
    unused.delete(next.index);
    path.push(next.issuer);
  }
}

interface Found {
  issuer?: Link;
  index: number;
  error?: X509SvidError;
}

/** The first candidate whose subject is `child`'s issuer and whose key verifies its signature. */
function findIssuer(
  child: Link,
  candidates: Iterable<readonly [number, X509Certificate]>,
  label: (index: number) => string,
  budget: { checks: number },
): Found {
  let error: X509SvidError | undefined;
  for (const [index, cert] of candidates) {
    if (!namesChain(child.info.cert.raw, cert.raw)) continue;
    spendSignatureCheck(budget, child);
    if (verifies(child.info.cert, publicKeyOf(cert, label(index)))) {
      return { issuer: { info: certInfo(cert, label(index)), label: label(index) }, index };
    }
    error = new X509SvidError(
      Code.BadSignature,
      `${child.label} signature does not verify with the key of ${label(index)}, its named issuer`,
    );
  }
  return error ? { index: -1, error } : { index: -1 };
}

/** `X509Certificate.verify`, with a failure inside OpenSSL counted as a bad signature. */
function verifies(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.verify(key);
  } catch {
    return false;
  }
}

/** Counts one signature check against the path's budget; past the cap path building stops. */
function spendSignatureCheck(budget: { checks: number }, child: Link): void {
  budget.checks += 1;
  if (budget.checks <= MAX_SIGNATURE_CHECKS) return;
  throw new X509SvidError(
    Code.PathBuildingLimit,
    `path building stopped at the limit of ${MAX_SIGNATURE_CHECKS} signature checks while ` +
      `looking for the issuer of ${child.label}: too many certificates share its issuer name`,
  );
}

function noIssuer(child: Link): X509SvidError {
  return new X509SvidError(
    Code.UnknownAuthority,
    `${child.label} is not signed by any authority of the bundle nor by a certificate of the chain`,
  );
}

/** RFC 5280 §6.1.3-§6.1.5, from the leaf up; the leaf's own SVID rules are checked by the caller. */
function validatePath(links: readonly Link[], at: Date): void {
  for (const [depth, link] of links.entries()) {
    checkCriticalExtensions(link.info, link.label);
    checkValidity(link, at);
    if (depth === 0) continue;

    const below = links.slice(0, depth);
    checkSigningCert(link.info, link.label);
    checkPathLen(link, below);
    const constrained = below.filter((l, i) => i === 0 || !isSelfIssued(l.info.cert.raw));
    checkNameConstraints(
      link.info,
      link.label,
      constrained.map((l) => [l.info, l.label] as const),
    );
  }
}

/** RFC 5280 §4.1.2.5 / §6.1.3 (a)(2): `at` must lie within [notBefore, notAfter]. */
function checkValidity(link: Link, at: Date): void {
  const { notBefore, notAfter } = link.info;
  if (at.getTime() < notBefore.getTime()) {
    throw new X509SvidError(
      Code.NotYetValid,
      `${link.label} is not valid before ${notBefore.toISOString()} (checked at ${at.toISOString()})`,
    );
  }
  if (at.getTime() > notAfter.getTime()) {
    throw new X509SvidError(
      Code.Expired,
      `${link.label} expired at ${notAfter.toISOString()} (checked at ${at.toISOString()})`,
    );
  }
}

/**
 * RFC 5280 §4.2.1.9 / §6.1.4 (l), (m): pathLenConstraint is the most non-self-issued
 * intermediate CA certificates that may follow this one in the path.
 */
function checkPathLen(link: Link, below: readonly Link[]): void {
  const limit = link.info.basicConstraints?.pathLen;
  if (limit === undefined) return;
  const intermediates = below.slice(1).filter((l) => !isSelfIssued(l.info.cert.raw)).length;
  if (intermediates > limit) {
    throw new X509SvidError(
      Code.PathLenExceeded,
      `${link.label} has pathLenConstraint ${limit} but ${intermediates} ca certificates follow it`,
    );
  }
}
