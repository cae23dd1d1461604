import 'reflect-metadata';
import { createPublicKey, type KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import * as x509 from '@peculiar/x509';
import { type SpiffeId, TrustDomain } from '@spire-ts/spiffe';
import type { Clock } from '../../../src/common/clock/index.js';
import { type Bundle, BundleSchema } from '../../../src/gen/spire/api/types/bundle_pb.js';
import {
  CredentialBuilder,
  type JwtSigningKey,
  type KeySigner,
  X509SvidMinter,
} from '../../../src/server/credtemplate/index.js';
import { MemoryKeyManager } from '../../../src/server/plugin/keymanager/index.js';

x509.cryptoProvider.set(webcrypto as never);

/** A test CA of one trust domain: mints agent, server and workload SVIDs and JWT-SVIDs. */
export interface FakeCa {
  readonly td: TrustDomain;
  readonly builder: CredentialBuilder;
  readonly root: X509Certificate;
  /** Public key of the JWT signing key, under `kid`. */
  readonly jwtKid: string;
  readonly jwtPublicKey: KeyObject;
  mint(
    id: SpiffeId,
    publicKey: Uint8Array | KeyObject,
    ttlMs?: number,
    dnsNames?: readonly string[],
  ): Promise<Uint8Array[]>;
  mintAgent(id: SpiffeId, publicKey: Uint8Array | KeyObject): Promise<Uint8Array[]>;
  mintJwt(id: SpiffeId, audience: readonly string[]): Promise<string>;
  /** The trust domain's bundle as the server API returns it. */
  bundleProto(): Bundle;
}

/** Options of {@link makeFakeCa}. */
export interface FakeCaOptions {
  readonly trustDomain?: string;
  readonly clock: Clock;
  readonly x509SvidTtlMs?: number;
  readonly agentSvidTtlMs?: number;
  readonly jwtSvidTtlMs?: number;
  readonly caTtlMs?: number;
}

/** Builds a {@link FakeCa} on the server's own credential templates. */
export async function makeFakeCa(o: FakeCaOptions): Promise<FakeCa> {
  const td = TrustDomain.fromString(o.trustDomain ?? 'example.org');
  const km = new MemoryKeyManager();
  const info = await km.generateKey('x509-CA-A', 'ec-p256');
  const key: KeySigner = {
    keyType: 'ec-p256',
    spki: info.spki,
    sign: (data, options) => km.sign('x509-CA-A', data, options),
  };
  const jwtInfo = await km.generateKey('jwt-A', 'ec-p256');
  const builder = new CredentialBuilder({
    trustDomain: td,
    clock: o.clock,
    caTtlMs: o.caTtlMs ?? 7 * 24 * 3600_000,
    ...(o.x509SvidTtlMs && { x509SvidTtlMs: o.x509SvidTtlMs }),
    ...(o.agentSvidTtlMs && { agentSvidTtlMs: o.agentSvidTtlMs }),
    ...(o.jwtSvidTtlMs && { jwtSvidTtlMs: o.jwtSvidTtlMs }),
  });
  const ca = await builder.selfSignedCa(key);
  const minter = new X509SvidMinter({
    certificate: ca.der,
    subjectKeyId: ca.subjectKeyId,
    notAfterMs: ca.notAfterMs,
    keyType: 'ec-p256',
    sign: key.sign,
  });
  const root = new X509Certificate(ca.der);
  const jwtKey: JwtSigningKey & { notAfterMs: number } = {
    keyType: 'ec-p256',
    kid: 'jwt-kid-1',
    notAfterMs: ca.notAfterMs,
    sign: (data, options) => km.sign('jwt-A', data, options),
  };
  return {
    td,
    builder,
    root,
    jwtKid: jwtKey.kid,
    jwtPublicKey: jwtInfo.publicKey,
    async mint(id, publicKey, ttlMs, dnsNames) {
      const svid = await builder.workloadX509Svid(minter, {
        spiffeId: id,
        publicKey,
        ...(ttlMs && { ttlMs }),
        ...(dnsNames && { dnsNames }),
      });
      return [svid.der];
    },
    async mintAgent(id, publicKey) {
      return [(await builder.agentX509Svid(minter, { spiffeId: id, publicKey })).der];
    },
    mintJwt(id, audience) {
      return builder.workloadJwtSvid(jwtKey, { spiffeId: id, audience });
    },
    bundleProto() {
      return create(BundleSchema, {
        trustDomain: td.toString(),
        x509Authorities: [{ asn1: root.raw }],
        jwtAuthorities: [
          {
            keyId: jwtKey.kid,
            publicKey: jwtInfo.spki,
            expiresAt: BigInt(Math.floor(ca.notAfterMs / 1000)),
          },
        ],
      });
    },
  };
}

/** The SubjectPublicKeyInfo a PKCS#10 request carries, after checking its self-signature. */
export async function csrPublicKey(csrDer: Uint8Array): Promise<KeyObject> {
  const csr = new x509.Pkcs10CertificateRequest(Buffer.from(csrDer));
  if (!(await csr.verify())) throw new Error('csr signature does not verify');
  return createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
}
