// Creating new authorities: a fresh key in the KeyManager, then a certificate for it.
import { X509Certificate } from 'node:crypto';
import * as px from '@peculiar/x509';
import type { CredentialBuilder, KeySigner, X509Issuer } from '../credtemplate/index.js';
import type { KeyManager, KeyType } from '../plugin/keymanager/types.js';
import type { UpstreamAuthority } from '../plugin/upstreamauthority/types.js';
import {
  CaError,
  type JwtAuthority,
  jwtKeyId,
  newKid,
  type Slot,
  type X509Authority,
  x509KeyId,
} from './authority.js';

/** What preparing needs from the manager. */
export interface PrepareContext {
  readonly builder: CredentialBuilder;
  readonly keyManager: KeyManager;
  readonly upstream?: UpstreamAuthority;
}

/** A KeyManager key seen as a signer. */
export function keySigner(
  km: KeyManager,
  keyId: string,
  keyType: KeyType,
  spki: Buffer,
): KeySigner {
  return { keyType, spki, sign: (data, options) => km.sign(keyId, data, options) };
}

/** Generates `x509-CA-<slot>` and makes it a CA: self-signed, or signed by the upstream. */
export async function prepareX509(
  ctx: PrepareContext,
  slot: Slot,
  keyType: KeyType,
): Promise<X509Authority> {
  const keyId = x509KeyId(slot);
  const info = await ctx.keyManager.generateKey(keyId, keyType);
  const key = keySigner(ctx.keyManager, keyId, keyType, info.spki);
  const base = { slot, keyId, keyType, status: 'prepared' as const };
  if (!ctx.upstream) {
    const ca = await ctx.builder.selfSignedCa(key);
    const { der, subjectKeyId, notBeforeMs, notAfterMs } = ca;
    return { ...base, chain: [der], upstreamRoots: [], subjectKeyId, notBeforeMs, notAfterMs };
  }
  const csr = await ctx.builder.caCsr(key);
  const minted = await ctx.upstream.mintX509Ca(csr, ctx.builder.config.caTtlMs);
  const ours = minted.x509CaChain[0];
  if (!ours || minted.upstreamX509Roots.length === 0) {
    throw new CaError('ERR_CA_BAD_UPSTREAM', 'upstream authority returned no ca chain or no roots');
  }
  const cert = new X509Certificate(ours);
  if (!Buffer.from(cert.publicKey.export({ type: 'spki', format: 'der' })).equals(info.spki)) {
    throw new CaError(
      'ERR_CA_BAD_UPSTREAM',
      'upstream ca certificate does not carry our public key',
    );
  }
  return {
    ...base,
    chain: minted.x509CaChain,
    upstreamRoots: minted.upstreamX509Roots,
    subjectKeyId: subjectKeyIdOf(ours),
    notBeforeMs: Date.parse(cert.validFrom),
    notAfterMs: Date.parse(cert.validTo),
  };
}

function subjectKeyIdOf(der: Buffer): Buffer {
  const ext = new px.X509Certificate(der).getExtension(px.SubjectKeyIdentifierExtension);
  if (!ext) throw new CaError('ERR_CA_BAD_UPSTREAM', 'upstream-signed ca has no subject key id');
  return Buffer.from(ext.keyId, 'hex');
}

/** Generates `JWT-Signer-<slot>` with a fresh kid, living `ca_ttl`. */
export async function prepareJwt(
  ctx: PrepareContext,
  slot: Slot,
  keyType: KeyType,
): Promise<JwtAuthority> {
  const keyId = jwtKeyId(slot);
  const info = await ctx.keyManager.generateKey(keyId, keyType);
  const nowMs = ctx.builder.config.clock.now();
  return {
    slot,
    keyId,
    keyType,
    status: 'prepared',
    kid: newKid(),
    publicKey: info.spki,
    notBeforeMs: nowMs,
    notAfterMs: nowMs + ctx.builder.config.caTtlMs,
  };
}

/** The issuer view of an X.509 authority, for the leaf minter. */
export function issuerOf(km: KeyManager, a: X509Authority): X509Issuer {
  const certificate = a.chain[0];
  if (!certificate)
    throw new CaError('ERR_CA_BAD_JOURNAL', `authority ${a.keyId} has no certificate`);
  return {
    certificate,
    subjectKeyId: a.subjectKeyId,
    notAfterMs: a.notAfterMs,
    keyType: a.keyType,
    sign: (data, options) => km.sign(a.keyId, data, options),
  };
}
