import type { KeyObject } from 'node:crypto';
import type { SpiffeId, TrustDomain } from '@spire-ts/spiffe';
import type { Clock } from '../../common/clock/index.js';
import { CredTemplateError } from './errors.js';
import type { KeySigner } from './issuer.js';
import { buildJwtSvidClaims, type JwtSigningKey, signJwtSvid } from './jwt-svid.js';
import { buildCaCsr, type MintedX509Ca, mintSelfSignedCa } from './x509-ca.js';
import type { X509Subject } from './x509-profile.js';
import type { MintedX509Svid, X509SvidMinter } from './x509-svid.js';

const HOUR_MS = 3_600_000;

/** Defaults as SPIRE ships them (reference §3.1). */
export const CredentialDefaults = {
  caTtlMs: 24 * HOUR_MS,
  x509SvidTtlMs: HOUR_MS,
  jwtSvidTtlMs: 5 * 60_000,
  caSubject: { country: ['US'], organization: ['SPIFFE'] } as X509Subject,
  svidSubject: { country: ['US'], organization: ['SPIRE'] } as X509Subject,
} as const;

/** Server settings the credentials depend on (`server {}` options, already parsed). */
export interface CredentialBuilderConfig {
  readonly trustDomain: TrustDomain;
  readonly clock: Clock;
  /** `ca_subject`; default C=US, O=SPIFFE. */
  readonly caSubject?: X509Subject;
  /** `ca_ttl`; default 24h. */
  readonly caTtlMs?: number;
  /** Subject of X.509-SVIDs; default C=US, O=SPIRE. */
  readonly svidSubject?: X509Subject;
  /** `default_x509_svid_ttl`; default 1h. */
  readonly x509SvidTtlMs?: number;
  /** `agent_ttl`; default `default_x509_svid_ttl`. */
  readonly agentSvidTtlMs?: number;
  /** `default_jwt_svid_ttl`; default 5m. */
  readonly jwtSvidTtlMs?: number;
  /** `jwt_issuer`: the `iss` claim when set. */
  readonly jwtIssuer?: string;
  /** Adds x500UniqueIdentifier to workload SVIDs (SPIRE's `uniqueid` CredentialComposer). */
  readonly uniqueId?: boolean;
}

/** A workload X.509-SVID request. */
export interface WorkloadX509SvidRequest {
  readonly spiffeId: SpiffeId;
  readonly publicKey: KeyObject | Uint8Array;
  readonly dnsNames?: readonly string[];
  /** Entry `x509_svid_ttl`; 0 or absent means the server default. */
  readonly ttlMs?: number;
}

/** A workload JWT-SVID request. */
export interface WorkloadJwtSvidRequest {
  readonly spiffeId: SpiffeId;
  readonly audience: readonly string[];
  /** Entry `jwt_svid_ttl`; 0 or absent means the server default. */
  readonly ttlMs?: number;
  readonly includeJti?: boolean;
}

/**
 * SPIRE's credential templates (reference §3.6): what each credential the server mints looks
 * like, with the server's defaults applied and every ID checked against the trust domain.
 */
export class CredentialBuilder {
  readonly config: Required<Omit<CredentialBuilderConfig, 'jwtIssuer'>> & { jwtIssuer?: string };

  constructor(config: CredentialBuilderConfig) {
    const x509SvidTtlMs = config.x509SvidTtlMs || CredentialDefaults.x509SvidTtlMs;
    this.config = {
      caSubject: CredentialDefaults.caSubject,
      svidSubject: CredentialDefaults.svidSubject,
      uniqueId: false,
      ...config,
      caTtlMs: config.caTtlMs || CredentialDefaults.caTtlMs,
      x509SvidTtlMs,
      agentSvidTtlMs: config.agentSvidTtlMs || x509SvidTtlMs,
      jwtSvidTtlMs: config.jwtSvidTtlMs || CredentialDefaults.jwtSvidTtlMs,
    };
  }

  /** A self-signed root CA for `key`, living `ca_ttl`. */
  selfSignedCa(key: KeySigner): Promise<MintedX509Ca> {
    return mintSelfSignedCa({
      trustDomainId: this.config.trustDomain.idString(),
      subject: this.config.caSubject,
      key,
      ttlMs: this.config.caTtlMs,
      nowMs: this.config.clock.now(),
    });
  }

  /** The CSR an UpstreamAuthority signs to make `key` an intermediate CA. */
  caCsr(key: KeySigner): Promise<Buffer> {
    const trustDomainId = this.config.trustDomain.idString();
    return buildCaCsr({ trustDomainId, subject: this.config.caSubject, key });
  }

  /** A workload X.509-SVID signed by `minter`'s CA. */
  async workloadX509Svid(
    minter: X509SvidMinter,
    req: WorkloadX509SvidRequest,
  ): Promise<MintedX509Svid> {
    this.#checkMember(req.spiffeId);
    const dnsNames = req.dnsNames ?? [];
    for (const name of dnsNames) checkDnsName(name);
    return minter.mint({
      spiffeId: req.spiffeId,
      publicKey: req.publicKey,
      dnsNames,
      subject: this.config.svidSubject,
      uniqueId: this.config.uniqueId,
      ttlMs: req.ttlMs || this.config.x509SvidTtlMs,
      nowMs: this.config.clock.now(),
    });
  }

  /** An agent X.509-SVID (`spiffe://<td>/spire/agent/...`) living `agent_ttl`. */
  async agentX509Svid(
    minter: X509SvidMinter,
    req: { spiffeId: SpiffeId; publicKey: KeyObject | Uint8Array },
  ): Promise<MintedX509Svid> {
    this.#checkMember(req.spiffeId);
    if (!req.spiffeId.path.startsWith('/spire/agent/')) {
      throw new CredTemplateError(
        'ERR_CREDTEMPLATE_BAD_SPIFFE_ID',
        'agent spiffe id path must start with /spire/agent/',
      );
    }
    return this.#plainSvid(minter, req.spiffeId, req.publicKey, this.config.agentSvidTtlMs);
  }

  /** The server's own X.509-SVID, `spiffe://<td>/spire/server`. */
  serverX509Svid(
    minter: X509SvidMinter,
    publicKey: KeyObject | Uint8Array,
  ): Promise<MintedX509Svid> {
    const id = this.serverId();
    return this.#plainSvid(minter, id, publicKey, this.config.x509SvidTtlMs);
  }

  /** `spiffe://<td>/spire/server`. */
  serverId(): SpiffeId {
    // Built through the trust domain's own SpiffeId class so that this module needs only the
    // SDK's types at run time.
    const ids = this.config.trustDomain.id().constructor as typeof SpiffeId;
    return ids.fromPath(this.config.trustDomain, '/spire/server');
  }

  /** A signed workload JWT-SVID; `exp` is capped at the key's expiry. */
  async workloadJwtSvid(
    key: JwtSigningKey & { readonly notAfterMs: number },
    req: WorkloadJwtSvidRequest,
  ): Promise<string> {
    this.#checkMember(req.spiffeId);
    const claims = buildJwtSvidClaims({
      spiffeId: req.spiffeId,
      audience: req.audience,
      ttlMs: req.ttlMs || this.config.jwtSvidTtlMs,
      nowMs: this.config.clock.now(),
      expirationCapMs: key.notAfterMs,
      issuer: this.config.jwtIssuer,
      includeJti: req.includeJti,
    });
    return signJwtSvid(claims, key);
  }

  #plainSvid(
    minter: X509SvidMinter,
    spiffeId: SpiffeId,
    publicKey: KeyObject | Uint8Array,
    ttlMs: number,
  ) {
    return minter.mint({
      spiffeId,
      publicKey,
      subject: this.config.svidSubject,
      ttlMs,
      nowMs: this.config.clock.now(),
    });
  }

  // X509-SVID §2 / JWT-SVID §3.1: an SVID names a workload of this trust domain, never the root.
  #checkMember(id: SpiffeId): void {
    if (!id.memberOf(this.config.trustDomain)) {
      throw new CredTemplateError(
        'ERR_CREDTEMPLATE_BAD_SPIFFE_ID',
        `svid spiffe id must be a member of trust domain ${this.config.trustDomain.name}`,
      );
    }
    if (id.path === '') {
      throw new CredTemplateError(
        'ERR_CREDTEMPLATE_BAD_SPIFFE_ID',
        'svid spiffe id must have a path; the trust domain id names no workload',
      );
    }
  }
}

const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** Checks a DNS SAN: ASCII labels of 1-63 characters, at most 253 in all, `*.` allowed first. */
export function checkDnsName(name: string): void {
  const labels = name.startsWith('*.') ? name.slice(2).split('.') : name.split('.');
  if (name.length > 253 || !labels.every((l) => DNS_LABEL.test(l))) {
    throw new CredTemplateError(
      'ERR_CREDTEMPLATE_BAD_DNS_NAME',
      `dns name "${name}" must be ascii labels of 1-63 letters, digits or hyphens`,
    );
  }
}
