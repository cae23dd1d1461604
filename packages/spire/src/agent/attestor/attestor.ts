import { X509Certificate } from 'node:crypto';
import { createClient, type Transport } from '@connectrpc/connect';
import {
  type SpiffeBundle,
  type SpiffeId,
  type TrustDomain,
  verifyX509Svid,
  X509Bundle,
  X509Svid,
} from '@spire-ts/spiffe';
import type { Clock } from '../../common/clock/index.js';
import { LogField, type SpireLogger } from '../../common/log/index.js';
import { Bundle as BundleService } from '../../gen/spire/api/server/bundle/v1/bundle_pb.js';
import { bundleFromProto } from '../client/bundle.js';
import { clientError } from '../client/errors.js';
import { connectServer, RPC_TIMEOUT_MS, type ServerAddress } from '../client/transport.js';
import type { AgentBootstrap } from '../config/index.js';
import { buildCsr } from '../keymanager/csr.js';
import type { AgentSvidKey, AgentSvidKeys } from '../keymanager/svid-keys.js';
import type { AgentNodeAttestor } from '../plugin/nodeattestor/node-attestor.js';
import type { AgentStorage } from '../storage/storage.js';
import { loadBootstrapBundle } from './bootstrap.js';
import { AgentAttestorError, AgentAttestorErrorCode } from './errors.js';
import { attestNode } from './node-attestation.js';

/** The agent's identity toward the server: its SVID, the key, and the bundle it trusts. */
export interface AgentIdentity {
  readonly id: SpiffeId;
  /** Leaf first. */
  readonly certificates: readonly X509Certificate[];
  readonly key: AgentSvidKey;
  readonly reattestable: boolean;
  /** The trust domain's bundle: from the server after attestation, or the one stored. */
  readonly bundle: SpiffeBundle | X509Bundle;
}

/** What {@link NodeAttestation} needs. */
export interface NodeAttestationOptions {
  readonly trustDomain: TrustDomain;
  readonly address: ServerAddress;
  readonly bootstrap: AgentBootstrap;
  readonly attestor: AgentNodeAttestor;
  readonly storage: AgentStorage;
  readonly keys: AgentSvidKeys;
  readonly clock: Clock;
  readonly log: SpireLogger;
}

/**
 * Establishes the agent's identity (SPIRE's node attestor): reuses the SVID stored in `data_dir`
 * when it is still valid, chains to the stored bundle and its key is still in the KeyManager
 * (D25: a restart does not attest again, so a used join token is never sent twice); otherwise
 * attests with the NodeAttestor plugin over TLS authenticated by the stored or bootstrap bundle.
 */
export class NodeAttestation {
  readonly #o: NodeAttestationOptions;

  constructor(options: NodeAttestationOptions) {
    this.#o = options;
  }

  /** The stored identity if usable, else a fresh attestation. */
  async establish(): Promise<AgentIdentity> {
    const stored = await this.#loadStored();
    return stored ?? this.attest();
  }

  /** Attests the node now (first start, or after the server said to attest again). */
  async attest(current?: AgentSvidKey): Promise<AgentIdentity> {
    const { log, storage, trustDomain } = this.#o;
    const stored = storage.data().bundle;
    const authorities =
      stored.length > 0 ? [...stored] : await loadBootstrapBundle(this.#o.bootstrap, trustDomain);
    const conn = connectServer(this.#o.address, { trustDomain, authorities });
    try {
      const key = await this.#o.keys.next(current);
      const result = await attestNode(conn.transport, this.#o.attestor, buildCsr(key.privateKey));
      const bundle = await this.#fetchBundle(conn.transport);
      const identity = this.#checkSvid(result.chain, key, bundle, result.reattestable);
      await storage.storeBundle(bundle.x509Authorities());
      await storage.storeSvid(identity.certificates, identity.reattestable);
      log.info({ [LogField.SpiffeId]: identity.id.toString() }, 'Node attestation was successful');
      return identity;
    } finally {
      conn.close();
    }
  }

  /** Checks an SVID the server issued: our key, an agent ID of our trust domain, our bundle. */
  #checkSvid(
    chain: readonly Uint8Array[],
    key: AgentSvidKey,
    bundle: SpiffeBundle | X509Bundle,
    reattestable: boolean,
  ): AgentIdentity {
    try {
      const certs = chain.map((der) => new X509Certificate(der));
      const svid = X509Svid.parse(certs, key.privateKey);
      verifyX509Svid(certs, bundle, { at: new Date(this.#o.clock.now()) });
      if (!svid.id.memberOf(this.#o.trustDomain) || !svid.id.path.startsWith('/spire/agent/')) {
        throw new Error(`svid id ${svid.id} is not an agent id of ${this.#o.trustDomain}`);
      }
      return { id: svid.id, certificates: svid.certificates, key, reattestable, bundle };
    } catch (err) {
      throw new AgentAttestorError(
        AgentAttestorErrorCode.BadSvid,
        'server returned an agent svid that does not verify against the trust bundle',
        { cause: err },
      );
    }
  }

  async #fetchBundle(transport: Transport): Promise<SpiffeBundle> {
    try {
      const proto = await createClient(BundleService, transport).getBundle(
        {},
        { timeoutMs: RPC_TIMEOUT_MS },
      );
      return bundleFromProto(proto, this.#o.trustDomain);
    } catch (err) {
      throw new AgentAttestorError(AgentAttestorErrorCode.Attestation, 'failed to fetch bundle', {
        cause: clientError('fetch bundle', err),
      });
    }
  }

  async #loadStored(): Promise<AgentIdentity | undefined> {
    const { storage, keys, log, clock, trustDomain } = this.#o;
    const data = storage.data();
    const leaf = data.svid[0];
    if (!leaf) return undefined;
    const why = await this.#unusable(data.svid, data.bundle, clock.now());
    if (why) {
      log.warn({ [LogField.Error]: why }, 'Stored agent SVID cannot be used; attesting again');
      return undefined;
    }
    const key = (await keys.findKeyFor(leaf)) as AgentSvidKey;
    const bundle = new X509Bundle(trustDomain, data.bundle);
    const { id } = verifyX509Svid(data.svid, bundle, { at: new Date(clock.now()) });
    log.info({ [LogField.SpiffeId]: id.toString() }, 'SVID loaded');
    return { id, certificates: data.svid, key, reattestable: data.reattestable, bundle };
  }

  async #unusable(
    svid: readonly X509Certificate[],
    authorities: readonly X509Certificate[],
    nowMs: number,
  ): Promise<string | undefined> {
    const leaf = svid[0] as X509Certificate;
    if (Date.parse(leaf.validTo) <= nowMs) return 'the stored agent svid has expired';
    if (authorities.length === 0) return 'no bundle is stored with the agent svid';
    if (!(await this.#o.keys.findKeyFor(leaf)))
      return 'the key manager has no key for the stored agent svid';
    try {
      verifyX509Svid(svid, new X509Bundle(this.#o.trustDomain, authorities), {
        at: new Date(nowMs),
      });
    } catch (err) {
      return `the stored agent svid does not verify: ${(err as Error).message}`;
    }
    return undefined;
  }
}
