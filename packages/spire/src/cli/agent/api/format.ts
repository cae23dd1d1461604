import type { X509Certificate } from 'node:crypto';

/** A time as Go prints a `time.Time` with `%v` in UTC: `2026-01-02 15:04:05 +0000 UTC`. */
export function goTime(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}

/** An elapsed time as Go prints a `time.Duration`: `812µs`, `3.5ms`, `1.2s`. */
export function goElapsed(nanoseconds: bigint): string {
  const ns = Number(nanoseconds);
  if (ns < 1_000) return `${ns}ns`;
  if (ns < 1_000_000) return `${trim(ns / 1_000)}µs`;
  if (ns < 1_000_000_000) return `${trim(ns / 1_000_000)}ms`;
  return `${trim(ns / 1_000_000_000)}s`;
}

function trim(value: number): string {
  return String(Number(value.toFixed(6)));
}

/** One SVID of a response, parsed for printing and writing. */
export interface PrintableSvid {
  readonly spiffeId: string;
  /** The entry's hint; printed only when not empty. */
  readonly hint?: string;
  readonly certificates: readonly X509Certificate[];
  readonly bundle: readonly X509Certificate[];
  /** Federated bundles by trust domain ID, sorted. */
  readonly federated: ReadonlyMap<string, readonly X509Certificate[]>;
}

/** SPIRE's summary of an X509-SVID response (`api fetch x509`, `api watch`). */
export function formatX509Response(svids: readonly PrintableSvid[], elapsed: string): string {
  let out = `Received ${svids.length} svid${svids.length === 1 ? '' : 's'} after ${elapsed}\n`;
  for (const svid of svids) {
    out += `\nSPIFFE ID:\t\t${svid.spiffeId}\n`;
    if (svid.hint) out += `Hint:\t\t\t${svid.hint}\n`;
    const [leaf, ...intermediates] = svid.certificates;
    if (leaf) out += validity('SVID', leaf, '\t');
    intermediates.forEach((cert, i) => {
      out += validity(`Intermediate #${i + 1}`, cert, '\t');
    });
    svid.bundle.forEach((cert, i) => {
      out += validity(`CA #${i + 1}`, cert, '\t');
    });
    for (const [td, certs] of svid.federated) {
      certs.forEach((cert, i) => {
        out += validity(`[${td}] CA #${i + 1}`, cert, '\t');
      });
    }
  }
  return `${out}\n`;
}

function validity(label: string, cert: X509Certificate, sep: string): string {
  return (
    `${label} Valid After:${sep}${goTime(new Date(cert.validFrom))}\n` +
    `${label} Valid Until:${sep}${goTime(new Date(cert.validTo))}\n`
  );
}
