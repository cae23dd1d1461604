import type { GeneralName, GeneralSubtrees } from '@peculiar/asn1-x509';
import type { CertInfo } from './certinfo.js';
import { X509SvidError, X509SvidErrorCode } from './errors.js';

/**
 * RFC 5280 §4.2.1.10 name constraints, for the name forms an SVID path uses: URI (X509-SVID §4.2)
 * and DNS. A constraint of any other form (IP, e-mail, directory name, ...) cannot be honoured
 * here, so it fails the path rather than being ignored (fail closed, X509-27 note).
 *
 * `constrained` are the certificates below `ca` in the path; each of their names of a constrained
 * form must be inside a permitted subtree (when there are any) and outside every excluded one.
 */
export function checkNameConstraints(
  ca: CertInfo,
  caLabel: string,
  constrained: ReadonlyArray<readonly [CertInfo, string]>,
): void {
  const nc = ca.nameConstraints;
  if (!nc) return;
  const permitted = [...(nc.permittedSubtrees ?? [])].map((s) => s.base);
  const excluded = [...(nc.excludedSubtrees ?? [])].map((s) => s.base);
  requireSupported(nc.permittedSubtrees, caLabel);
  requireSupported(nc.excludedSubtrees, caLabel);

  for (const [info, label] of constrained) {
    for (const name of info.sans) {
      const form = formOf(name);
      if (form === undefined) continue;
      const allowed = permitted.filter((p) => formOf(p)?.kind === form.kind);
      if (allowed.length > 0 && !allowed.some((p) => matches(form, formOf(p)))) {
        throw violation(
          `${label} ${form.kind} name "${form.value}" is outside the permitted subtrees of ${caLabel}`,
        );
      }
      if (excluded.some((e) => formOf(e)?.kind === form.kind && matches(form, formOf(e)))) {
        throw violation(
          `${label} ${form.kind} name "${form.value}" is in an excluded subtree of ${caLabel}`,
        );
      }
    }
  }
}

interface NameForm {
  kind: 'uri' | 'dns';
  value: string;
}

function formOf(name: GeneralName): NameForm | undefined {
  if (name.uniformResourceIdentifier !== undefined)
    return { kind: 'uri', value: name.uniformResourceIdentifier };
  if (name.dNSName !== undefined) return { kind: 'dns', value: name.dNSName };
  return undefined;
}

function requireSupported(subtrees: GeneralSubtrees | undefined, caLabel: string): void {
  for (const subtree of subtrees ?? []) {
    // §4.2.1.10: minimum MUST be zero and maximum MUST be absent.
    if (
      formOf(subtree.base) === undefined ||
      subtree.minimum !== 0 ||
      subtree.maximum !== undefined
    ) {
      throw violation(
        `${caLabel} has a name constraint of a form this validator does not support (only uri and dns)`,
      );
    }
  }
}

function matches(name: NameForm, constraint: NameForm | undefined): boolean {
  if (!constraint) return false;
  const host = name.kind === 'uri' ? uriHost(name.value) : name.value;
  if (host === undefined) return false;
  return hostWithin(host.toLowerCase(), constraint.value.toLowerCase(), name.kind);
}

/** §4.2.1.10: a URI constraint applies to the host part; a URI without a host fails it. */
function uriHost(uri: string): string | undefined {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(uri);
  const authority = match?.[1];
  if (!authority) return undefined;
  const host = authority.slice(authority.lastIndexOf('@') + 1).replace(/:\d*$/, '');
  return host === '' ? undefined : host;
}

/**
 * §4.2.1.10: a constraint with a leading dot matches only names below it. Without the dot, a URI
 * constraint names one host exactly, while a DNS constraint also matches any name built by adding
 * labels on its left (an empty DNS constraint matches every name).
 */
function hostWithin(host: string, constraint: string, kind: NameForm['kind']): boolean {
  if (constraint.startsWith('.')) return host.endsWith(constraint);
  if (kind === 'uri') return host === constraint;
  return constraint === '' || host === constraint || host.endsWith(`.${constraint}`);
}

function violation(message: string): X509SvidError {
  return new X509SvidError(X509SvidErrorCode.NameConstraints, message);
}
