/**
 * SPIRE's text rendering of registration entries (`cmd/spire-server/cli/entry/util.go`): one
 * line per field, the label padded to 24 characters then `: `, a blank line after each entry;
 * and the order `entry show` sorts them in (`pkg/common/util/sort.go`).
 */
import type { Entry } from '../../../gen/spire/api/types/entry_pb.js';
import type { Selector } from '../../../gen/spire/api/types/selector_pb.js';
import type { SPIFFEID } from '../../../gen/spire/api/types/spiffeid_pb.js';
import { goTime } from '../agent/print.js';

const LABEL_WIDTH = 24;

/** `spiffe://<td><path>`, or empty when absent. */
export function idText(id: SPIFFEID | undefined): string {
  return id ? `spiffe://${id.trustDomain}${id.path}` : '';
}

/** The entry's block, ending with a blank line; TTLs of 0 print as `default` (D04). */
export function entryBlock(e: Entry): string {
  const lines: [string, string][] = [
    ['Entry ID', e.id === '' ? '(none)' : e.id],
    ['SPIFFE ID', idText(e.spiffeId)],
    ['Parent ID', idText(e.parentId)],
    ['Revision', String(e.revisionNumber)],
  ];
  if (e.downstream) lines.push(['Downstream', 'true']);
  lines.push(['X509-SVID TTL', e.x509SvidTtl === 0 ? 'default' : String(e.x509SvidTtl)]);
  lines.push(['JWT-SVID TTL', e.jwtSvidTtl === 0 ? 'default' : String(e.jwtSvidTtl)]);
  // bug-cases-2 D02: the expiry is shown, always in UTC, and only when set.
  if (e.expiresAt !== 0n) lines.push(['Expiration time', goTime(Number(e.expiresAt))]);
  for (const s of e.selectors) lines.push(['Selector', `${s.type}:${s.value}`]);
  for (const td of e.federatesWith) lines.push(['FederatesWith', td]);
  for (const dns of e.dnsNames) lines.push(['DNS name', dns]);
  if (e.admin) lines.push(['Admin', 'true']);
  if (e.storeSvid) lines.push(['StoreSvid', 'true']);
  if (e.hint !== '') lines.push(['Hint', e.hint]);
  const extra = e.additionalAttributes;
  if (extra?.disableX509SvidPrefetch) lines.push(['DisableX509SvidPrefetch', 'true']);
  if (extra?.jwtSvidIncludeJti) lines.push(['JwtSvidIncludeJti', 'true']);
  return `${lines.map(([label, value]) => `${label.padEnd(LABEL_WIDTH)}: ${value}\n`).join('')}\n`;
}

/**
 * Sorts in place as SPIRE's `entry show` does (D06): each entry's selectors by type then value;
 * entries by SPIFFE ID (trust domain, path), parent ID, X509-SVID TTL, JWT-SVID TTL, then
 * selectors (fewer first, then one by one).
 */
export function sortEntries(entries: Entry[]): Entry[] {
  for (const e of entries) e.selectors.sort(compareSelector);
  return entries.sort(compareEntries);
}

function compareEntries(a: Entry, b: Entry): number {
  return (
    compareText(a.spiffeId?.trustDomain, b.spiffeId?.trustDomain) ||
    compareText(a.spiffeId?.path, b.spiffeId?.path) ||
    compareText(a.parentId?.trustDomain, b.parentId?.trustDomain) ||
    compareText(a.parentId?.path, b.parentId?.path) ||
    a.x509SvidTtl - b.x509SvidTtl ||
    a.jwtSvidTtl - b.jwtSvidTtl ||
    compareSelectors(a.selectors, b.selectors)
  );
}

function compareSelectors(a: readonly Selector[], b: readonly Selector[]): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    const c = compareSelector(a[i] as Selector, b[i] as Selector);
    if (c !== 0) return c;
  }
  return 0;
}

function compareSelector(a: Selector, b: Selector): number {
  return compareText(a.type, b.type) || compareText(a.value, b.value);
}

// Go's strings.Compare: byte order of the UTF-8 encodings.
function compareText(a = '', b = ''): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
