/**
 * Publishes the CA manager's bundle into the datastore: at start and on every `bundle` event the
 * current X.509 CAs and JWT keys are appended to the trust domain's stored bundle (the store bumps
 * its sequence number when anything was added), so agents and other servers see new authorities
 * before they sign anything (reference §3.7). Expired authorities leave through pruning.
 */
import { LogField, type SpireLogger } from '../../common/log/index.js';
import type { ChangeNotifier } from '../api/context.js';
import type { CaBundle, CaManager } from '../ca/index.js';
import type { Bundle, DataStore } from '../datastore/index.js';

/** Converts the CA manager's bundle to the datastore's shape. */
export function caBundleToStored(trustDomain: string, bundle: CaBundle): Bundle {
  return {
    trustDomain,
    x509Authorities: bundle.x509Authorities.map((der) => ({ asn1: der, tainted: false })),
    jwtAuthorities: bundle.jwtAuthorities.map((k) => ({
      keyId: k.kid,
      publicKey: k.publicKey,
      expiresAt: Math.floor(k.notAfterMs / 1000),
      tainted: false,
    })),
    refreshHint: 0,
    sequenceNumber: 0,
  };
}

/** Appends the current CA bundle now and after every change; returns the unsubscribe function. */
export async function publishCaBundle(opts: {
  readonly trustDomain: string;
  readonly ca: CaManager;
  readonly datastore: DataStore;
  readonly changed: ChangeNotifier;
  readonly log: SpireLogger;
}): Promise<() => void> {
  const publish = async (bundle: CaBundle) => {
    await opts.datastore.appendBundle(caBundleToStored(opts.trustDomain, bundle));
    await opts.changed.bundles();
  };
  await publish(opts.ca.bundle());
  const onBundle = (bundle: CaBundle) => {
    publish(bundle).catch((err: unknown) =>
      opts.log.error({ [LogField.Error]: err }, 'Failed to publish the CA bundle'),
    );
  };
  opts.ca.on('bundle', onBundle);
  return () => opts.ca.off('bundle', onBundle);
}
