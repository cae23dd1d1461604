import { SpiffeId, SpiffeIdError } from '../../spiffeid/index.js';
import { type CertFields, KeyUsageBit, Oid } from './certinfo.js';
import { X509SvidErrorCode as Code, X509SvidError } from './errors.js';

/**
 * The leaf rules of X509-SVID §5.2 (and the issuer-side rules §2-§4.4 that make a leaf an SVID).
 * Returns the leaf's SPIFFE ID.
 *
 * Implementation-defined cases, decided here to the letter of the standard:
 * - X509-15: a keyUsage extension that is not critical is rejected (§4.3 "MUST be marked critical").
 * - X509-16: an extKeyUsage without both serverAuth and clientAuth is rejected (§4.4 "MUST").
 */
export function checkLeaf(info: CertFields): SpiffeId {
  const id = leafSpiffeId(info);

  // X509-SVID §2: with an empty subject the SAN extension MUST be critical (RFC 5280 §4.2.1.6).
  if (info.subjectEmpty && !info.sanCritical) {
    throw new X509SvidError(
      Code.SanNotCritical,
      'leaf subject is empty and its subjectAltName is not critical',
    );
  }
  // X509-SVID §4.1: a leaf MUST set cA=false.
  if (info.basicConstraints?.cA === true) {
    throw new X509SvidError(
      Code.LeafIsCa,
      'leaf has basicConstraints cA=true, a leaf svid must not be a ca',
    );
  }
  checkLeafKeyUsage(info);
  checkLeafExtKeyUsage(info);
  return id;
}

/**
 * X509-SVID §2: exactly one URI SAN, and it is a SPIFFE ID; §3.1: the leaf's ID has a path.
 * Other SAN types (DNS, IP, e-mail, otherName) are allowed and ignored (C11).
 */
function leafSpiffeId(info: CertFields): SpiffeId {
  const uris = info.sans.flatMap((n) =>
    n.uniformResourceIdentifier === undefined ? [] : [n.uniformResourceIdentifier],
  );
  if (uris.length === 0)
    throw new X509SvidError(Code.NoUriSan, 'leaf has no uri san, want exactly one spiffe id');
  if (uris.length > 1) {
    throw new X509SvidError(
      Code.MultipleUriSans,
      `leaf has ${uris.length} uri sans, want exactly one`,
    );
  }
  const id = parseUriSan(uris[0] as string, 'leaf');
  if (id.path === '') {
    throw new X509SvidError(
      Code.LeafRootPath,
      `leaf spiffe id "${id}" has no path, a leaf id must have one`,
    );
  }
  return id;
}

/** Parses a URI SAN as a SPIFFE ID; the error names the SAN (shortened when it is oversized: C10). */
export function parseUriSan(uri: string, label: string): SpiffeId {
  try {
    return SpiffeId.fromString(uri);
  } catch (cause) {
    if (!(cause instanceof SpiffeIdError)) throw cause;
    const shown =
      uri.length > 80 ? `${uri.slice(0, 64)}... (${Buffer.byteLength(uri)} bytes)` : uri;
    throw new X509SvidError(
      Code.InvalidSpiffeId,
      `${label} uri san "${shown}" is not a valid spiffe id: ${cause.message}`,
      { cause },
    );
  }
}

function checkLeafKeyUsage(info: CertFields): void {
  const bits = requireKeyUsage(info, 'leaf');
  // X509-SVID §4.3: leaf MUST set digitalSignature, MUST NOT set keyCertSign or cRLSign.
  if (bits & KeyUsageBit.keyCertSign) {
    throw new X509SvidError(
      Code.LeafKeyCertSign,
      'leaf keyUsage has keyCertSign, a leaf svid must not',
    );
  }
  if (bits & KeyUsageBit.cRLSign) {
    throw new X509SvidError(Code.LeafCrlSign, 'leaf keyUsage has cRLSign, a leaf svid must not');
  }
  if (!(bits & KeyUsageBit.digitalSignature)) {
    throw new X509SvidError(
      Code.LeafNoDigitalSignature,
      'leaf keyUsage lacks digitalSignature, a leaf svid must set it',
    );
  }
}

function checkLeafExtKeyUsage(info: CertFields): void {
  const eku = info.extKeyUsage;
  // X509-SVID §4.4: leaf SHOULD carry extKeyUsage; when it does, both purposes MUST be set.
  if (eku === undefined) return;
  const missing = [
    ...(eku.includes(Oid.serverAuth) ? [] : ['serverAuth']),
    ...(eku.includes(Oid.clientAuth) ? [] : ['clientAuth']),
  ];
  if (missing.length > 0) {
    throw new X509SvidError(
      Code.LeafExtKeyUsage,
      `leaf extKeyUsage lacks ${missing.join(' and ')}, an svid that has it must set both serverAuth and clientAuth`,
    );
  }
}

/** X509-SVID §4.3: keyUsage MUST be present on every SVID and MUST be critical. Returns its bits. */
function requireKeyUsage(info: CertFields, label: string): number {
  if (!info.keyUsage) {
    throw new X509SvidError(
      Code.MissingKeyUsage,
      `${label} has no keyUsage extension, every svid must have one`,
    );
  }
  if (!info.keyUsage.critical) {
    throw new X509SvidError(
      Code.KeyUsageNotCritical,
      `${label} keyUsage extension is not critical, it must be`,
    );
  }
  return info.keyUsage.bits;
}

/**
 * The rules a signing certificate (intermediate or bundle authority) must meet:
 * X509-SVID §4.1 cA=true, §4.3 keyUsage present, critical, with keyCertSign (RFC 5280 §6.1.4 (k), (n)),
 * and §3.2: when it carries a SPIFFE ID, that ID MUST NOT have a path. A CA without a URI SAN is
 * fine (C09), and non-SPIFFE URIs on a CA are not SVID matters.
 */
export function checkSigningCert(info: CertFields, label: string): void {
  if (info.basicConstraints?.cA !== true) {
    throw new X509SvidError(
      Code.IssuerNotCa,
      `${label} signs a certificate but is not a ca (basicConstraints cA=true missing)`,
    );
  }
  const bits = requireKeyUsage(info, label);
  if (!(bits & KeyUsageBit.keyCertSign)) {
    throw new X509SvidError(
      Code.IssuerNoKeyCertSign,
      `${label} signs a certificate but its keyUsage lacks keyCertSign`,
    );
  }
  for (const name of info.sans) {
    const uri = name.uniformResourceIdentifier;
    if (uri === undefined || !uri.toLowerCase().startsWith('spiffe:')) continue;
    const id = parseUriSan(uri, label);
    if (id.path !== '') {
      throw new X509SvidError(
        Code.IssuerIdHasPath,
        `${label} is a signing certificate with spiffe id "${id}", which must have no path`,
      );
    }
  }
}

/** RFC 5280 §4.2 / §6.1.4 (o): a critical extension nobody here processes fails the certificate. */
export function checkCriticalExtensions(info: CertFields, label: string): void {
  const [oid] = info.unknownCritical;
  if (oid !== undefined) {
    throw new X509SvidError(
      Code.UnknownCriticalExtension,
      `${label} has critical extension ${oid}, which this validator does not process`,
    );
  }
}
