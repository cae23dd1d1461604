import type { X509Certificate } from 'node:crypto';

/** Half-life jitter: the threshold is drawn within ±10% of half the lifetime at each check. */
export const ROTATION_JITTER = 0.1;

/** A source of numbers in [0, 1); tests pass a fixed one. */
export type Random = () => number;

/**
 * True when a credential valid over [notBeforeMs, notAfterMs] should be renewed at `nowMs`: when
 * the time left is at most half the lifetime, the half drawn within ±10% at each check (SPIRE's
 * rotationutil; bug-cases-2 D24). `notAfterMs` must be the earliest notAfter of the whole chain,
 * so that a leaf capped by an expiring CA rotates in time (C28).
 */
export function shouldRotate(
  nowMs: number,
  notBeforeMs: number,
  notAfterMs: number,
  random: Random = Math.random,
): boolean {
  if (nowMs >= notAfterMs) return true;
  const halfLife = (notAfterMs - notBeforeMs) / 2;
  const jitter = (random() * 2 - 1) * ROTATION_JITTER;
  return notAfterMs - nowMs <= halfLife * (1 + jitter);
}

/** The validity window of a chain: the leaf's notBefore and the earliest notAfter of any link. */
export function chainValidity(chain: readonly X509Certificate[]): {
  notBeforeMs: number;
  notAfterMs: number;
} {
  const leaf = chain[0];
  if (!leaf) return { notBeforeMs: 0, notAfterMs: 0 };
  let notAfterMs = Number.POSITIVE_INFINITY;
  for (const cert of chain) notAfterMs = Math.min(notAfterMs, Date.parse(cert.validTo));
  return { notBeforeMs: Date.parse(leaf.validFrom), notAfterMs };
}
