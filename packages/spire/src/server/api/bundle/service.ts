/**
 * `spire.api.server.bundle.v1.Bundle`: the trust domain's own bundle (get, append) and the
 * federated bundles of other trust domains (list, get, batch create/update/set/delete).
 * Authorization is done by the server's interceptor (reference §3.3).
 */

import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { TrustDomain } from '@spire-ts/spiffe';
import { LogField } from '../../../common/log/index.js';
import {
  type Bundle as BundleService,
  BatchDeleteFederatedBundleRequest_Mode as DeleteMode,
} from '../../../gen/spire/api/server/bundle/v1/bundle_pb.js';
import type { BundleMask, Bundle as BundleProto } from '../../../gen/spire/api/types/bundle_pb.js';
import {
  type Bundle,
  type BundleDeleteMode,
  DataStoreError,
  DataStoreErrorCode,
} from '../../datastore/index.js';
import type { ServerContext } from '../context.js';
import {
  bundleFromProto,
  bundleMaskFromProto,
  bundleToProto,
  jwtAuthorityFromProto,
  x509AuthorityFromProto,
} from '../convert/bundle.js';
import { messageOf } from '../convert/errors.js';
import { trustDomainFromString } from '../convert/ids.js';
import { type ItemStatus, itemStatus, OK_STATUS, statusError, toStatus } from '../status.js';

type BundleImpl = ServiceImpl<typeof BundleService>;
type Log = ServerContext['log'];

const DELETE_MODES: Record<number, BundleDeleteMode> = {
  [DeleteMode.RESTRICT]: 'restrict',
  [DeleteMode.DELETE]: 'delete',
  [DeleteMode.DISSOCIATE]: 'dissociate',
};

/** Builds the Bundle service. */
export function createBundleService(ctx: ServerContext): Partial<BundleImpl> {
  const log = ctx.log.child({ [LogField.Service]: 'bundle.v1.Bundle' });
  const own = ctx.trustDomain.name;
  return {
    async getBundle(req) {
      const bundle = await fetch(log, ctx, own);
      if (!bundle) throw statusError(log, Code.NotFound, 'bundle not found');
      return bundleToProto(bundle, req.outputMask);
    },

    async appendBundle(req) {
      let x509: Bundle['x509Authorities'];
      let jwt: Bundle['jwtAuthorities'];
      try {
        x509 = req.x509Authorities.map(x509AuthorityFromProto);
        jwt = req.jwtAuthorities.map(jwtAuthorityFromProto);
      } catch (err) {
        throw toStatus(log, 'failed to convert bundle', err, Code.InvalidArgument);
      }
      const bundle = await call(log, 'failed to append bundle', () =>
        ctx.datastore.appendBundle({
          trustDomain: own,
          x509Authorities: x509,
          jwtAuthorities: jwt,
          refreshHint: 0,
          sequenceNumber: 0,
        }),
      );
      await ctx.changed.bundles();
      return bundleToProto(bundle, req.outputMask);
    },

    async countBundles() {
      return {
        count: await call(log, 'failed to count bundles', () => ctx.datastore.countBundles()),
      };
    },

    async listFederatedBundles(req) {
      if (req.pageSize < 0)
        throw statusError(log, Code.InvalidArgument, 'page size cannot be negative');
      const page = await call(log, 'failed to list bundles', () =>
        ctx.datastore.listBundles(
          req.pageSize > 0 ? { pageSize: req.pageSize, pageToken: req.pageToken } : undefined,
        ),
      );
      return {
        bundles: page.items
          .filter((b) => b.trustDomain !== own)
          .map((b) => bundleToProto(b, req.outputMask)),
        nextPageToken: page.nextPageToken,
      };
    },

    async getFederatedBundle(req) {
      const td = federatedTd(log, req.trustDomain, own, 'getting a federated bundle');
      const bundle = await fetch(log, ctx, td);
      if (!bundle) throw statusError(log, Code.NotFound, 'bundle not found');
      return bundleToProto(bundle, req.outputMask);
    },

    async batchCreateFederatedBundle(req) {
      const results = [];
      for (const b of req.bundle) {
        results.push(
          await federatedItem(ctx, log, b, req.outputMask, 'creating', async (bundle) => {
            try {
              return await ctx.datastore.createBundle(bundle);
            } catch (err) {
              if (err instanceof DataStoreError && err.code === DataStoreErrorCode.AlreadyExists) {
                throw new ConnectError('bundle already exists', Code.AlreadyExists);
              }
              throw err;
            }
          }),
        );
      }
      return { results };
    },

    async batchUpdateFederatedBundle(req) {
      const results = [];
      const mask = bundleMaskFromProto(req.inputMask);
      for (const b of req.bundle) {
        results.push(
          await federatedItem(ctx, log, b, req.outputMask, 'updating', async (bundle) => {
            if (!(await ctx.datastore.fetchBundle(bundle.trustDomain))) {
              throw new ConnectError('bundle not found', Code.NotFound);
            }
            return ctx.datastore.updateBundle(bundle, mask);
          }),
        );
      }
      return { results };
    },

    async batchSetFederatedBundle(req) {
      const results = [];
      for (const b of req.bundle) {
        results.push(
          await federatedItem(ctx, log, b, req.outputMask, 'setting', (bundle) =>
            ctx.datastore.setBundle(bundle),
          ),
        );
      }
      return { results };
    },

    async batchDeleteFederatedBundle(req) {
      const mode = DELETE_MODES[req.mode];
      if (!mode) throw statusError(log, Code.InvalidArgument, `unsupported mode ${req.mode}`);
      const results = [];
      for (const name of req.trustDomains) {
        const status = await deleteOne(ctx, log, name, mode);
        // Results name the trust domain without its scheme, as SPIRE's (bug-cases-2 D09).
        results.push({ status, trustDomain: trustDomainName(name) });
      }
      await ctx.changed.bundles();
      return { results };
    },
  };
}

async function fetch(log: Log, ctx: ServerContext, td: string): Promise<Bundle | undefined> {
  return call(log, 'failed to fetch bundle', () => ctx.datastore.fetchBundle(td));
}

async function call<T>(log: Log, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStatus(log, what, err);
  }
}

/** A trust domain named in a request that must be a foreign one. */
function federatedTd(log: Log, name: string, own: string, doing: string): string {
  let td: string;
  try {
    td = trustDomainFromString(name).name;
  } catch (err) {
    throw statusError(
      log,
      Code.InvalidArgument,
      `trust domain argument is not valid: ${messageOf(err)}`,
    );
  }
  if (td === own) {
    throw statusError(
      log,
      Code.InvalidArgument,
      `${doing} for the server's own trust domain is not allowed`,
    );
  }
  return td;
}

/** One item of a batch create/update/set: validate, refuse our own trust domain, write. */
async function federatedItem(
  ctx: ServerContext,
  log: Log,
  proto: BundleProto,
  outputMask: BundleMask | undefined,
  doing: 'creating' | 'updating' | 'setting',
  write: (b: Bundle) => Promise<Bundle>,
) {
  let bundle: Bundle;
  try {
    bundle = bundleFromProto(proto);
  } catch (err) {
    return { status: itemStatus(log, 'failed to convert bundle', err, Code.InvalidArgument) };
  }
  if (bundle.trustDomain === ctx.trustDomain.name) {
    const msg = `${doing} a federated bundle for the server's own trust domain is not allowed`;
    return { status: itemStatus(log, msg, undefined, Code.InvalidArgument) };
  }
  try {
    const stored = await write(bundle);
    await ctx.changed.bundles();
    return { status: OK_STATUS, bundle: bundleToProto(stored, outputMask) };
  } catch (err) {
    if (err instanceof ConnectError)
      return { status: itemStatus(log, err.rawMessage, undefined, err.code) };
    const verb = doing === 'creating' ? 'create' : doing === 'updating' ? 'update' : 'set';
    return { status: itemStatus(log, `failed to ${verb} bundle`, err) };
  }
}

async function deleteOne(
  ctx: ServerContext,
  log: Log,
  name: string,
  mode: BundleDeleteMode,
): Promise<ItemStatus> {
  let td: string;
  try {
    td = trustDomainFromString(name).name;
  } catch (err) {
    return itemStatus(log, 'trust domain argument is not valid', err, Code.InvalidArgument);
  }
  if (td === ctx.trustDomain.name) {
    const msg = 'removing the bundle for the server trust domain is not allowed';
    return itemStatus(log, msg, undefined, Code.InvalidArgument);
  }
  try {
    // Entries federating with it are deleted or lose the association: refresh them afterwards.
    const { items } = await ctx.datastore.listEntries({
      byFederatesWith: { trustDomains: [td], match: 'any' },
    });
    await ctx.datastore.deleteBundle(td, mode);
    await ctx.changed.entries(items.map((e) => e.id));
    return OK_STATUS;
  } catch (err) {
    if (err instanceof DataStoreError && err.code === DataStoreErrorCode.NotFound) {
      return itemStatus(log, 'bundle not found', undefined, Code.NotFound);
    }
    return itemStatus(log, 'failed to delete federated bundle', err);
  }
}

/** `spiffe://other.org` or `other.org` as the bare name; anything unparsable as given. */
function trustDomainName(text: string): string {
  try {
    return TrustDomain.fromString(text).name;
  } catch {
    return text;
  }
}
