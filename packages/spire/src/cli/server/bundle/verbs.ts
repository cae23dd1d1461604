/** `spire-server bundle show|list|set|delete|count` (reference §3.4; bug-cases-2 D09, D10). */
import { create } from '@bufbuild/protobuf';
import type { FlagSpec } from '../../../common/cli/flagset.js';
import {
  BatchDeleteFederatedBundleResponseSchema,
  BatchSetFederatedBundleResponseSchema,
  Bundle as BundleService,
  CountBundlesResponseSchema,
  BatchDeleteFederatedBundleRequest_Mode as DeleteMode,
  ListFederatedBundlesResponseSchema,
} from '../../../gen/spire/api/server/bundle/v1/bundle_pb.js';
import { BundleSchema } from '../../../gen/spire/api/types/bundle_pb.js';
import { plural } from '../agent/print.js';
import { adminCommand, CliError, errorText, printJson } from '../client.js';
import { readInput } from '../input.js';
import { bundleFormat, bundleText, parseBundle } from './format.js';

const ID_FLAG: FlagSpec = {
  name: 'id',
  kind: 'string',
  usage: 'SPIFFE ID of the trust domain',
  default: '',
};

const formatFlag = (what: string): FlagSpec => ({
  name: 'format',
  kind: 'string',
  usage: `The format ${what}. Either "pem" or "spiffe".`,
  default: 'pem',
});

/** `bundle show`: the server's own bundle. */
export const bundleShowCommand = adminCommand(
  'bundle show',
  'Prints server CA bundle to stdout',
  [formatFlag('to show the bundle (only pretty output format supports this flag)')],
  async ({ flags, io, json, server }) => {
    const bundle = await server.client(BundleService).getBundle({});
    if (json) return printJson(io, BundleSchema, bundle);
    io.stdout.write(bundleText(bundle, bundleFormat(String(flags.format))));
  },
);

/** `bundle list [-id TD]`: federated bundles, each under a banner, or the one `-id` names. */
export const bundleListCommand = adminCommand(
  'bundle list',
  'Lists federated bundle data',
  [ID_FLAG, formatFlag('to list federated bundles (only pretty output format supports this flag)')],
  async ({ flags, io, json, server }) => {
    const client = server.client(BundleService);
    const id = String(flags.id);
    if (id !== '') {
      const bundle = await client.getFederatedBundle({ trustDomain: id });
      if (json) return printJson(io, BundleSchema, bundle);
      io.stdout.write(bundleText(bundle, bundleFormat(String(flags.format))));
      return;
    }
    const res = await client.listFederatedBundles({});
    if (json) return printJson(io, ListFederatedBundlesResponseSchema, res);
    const format = bundleFormat(String(flags.format));
    io.stdout.write(res.bundles.map((b) => bundleText(b, format, true)).join('\n'));
  },
);

/** `bundle set -id TD [-path FILE] [-format pem|spiffe]`: creates or replaces a foreign bundle. */
export const bundleSetCommand = adminCommand(
  'bundle set',
  'Creates or updates federated bundle data',
  [
    ID_FLAG,
    { name: 'path', kind: 'string', usage: 'Path to the bundle data', default: '' },
    formatFlag('of the bundle data'),
  ],
  async ({ flags, io, json, server }) => {
    const id = String(flags.id);
    if (id === '') throw new CliError('id flag is required');
    const format = bundleFormat(String(flags.format));
    const bytes = await readInput(io, String(flags.path), true).catch((err: unknown) => {
      throw new CliError(`unable to load bundle data: ${errorText(err)}`);
    });
    const bundle = parseBundle(bytes, format, id);
    const res = await server
      .client(BundleService)
      .batchSetFederatedBundle({ bundle: [bundle] })
      .catch((err: unknown) => {
        throw new CliError(`failed to set federated bundle: ${errorText(err)}`);
      });
    if (json) printJson(io, BatchSetFederatedBundleResponseSchema, res);
    const status = res.results[0]?.status;
    // A refusal fails the verb in both output formats (as D01 asks of entry create).
    if ((status?.code ?? 0) !== 0) {
      throw new CliError(`failed to set federated bundle: ${status?.message ?? ''}`);
    }
    if (!json) io.stdout.write('bundle set.\n');
  },
);

const MODES: Record<string, DeleteMode> = {
  '': DeleteMode.RESTRICT,
  restrict: DeleteMode.RESTRICT,
  dissociate: DeleteMode.DISSOCIATE,
  delete: DeleteMode.DELETE,
};

/**
 * `bundle delete -id TD [-mode restrict|dissociate|delete]` (D09): `restrict` refuses while
 * entries federate with it, `dissociate` removes it from them, `delete` deletes them too.
 */
export const bundleDeleteCommand = adminCommand(
  'bundle delete',
  'Deletes federated bundle data',
  [
    ID_FLAG,
    {
      name: 'mode',
      kind: 'string',
      usage: 'Deletion mode: one of restrict, delete, or dissociate',
      default: 'restrict',
    },
  ],
  async ({ flags, io, json, server }) => {
    const id = String(flags.id);
    if (id === '') throw new CliError('id is required');
    const mode = MODES[String(flags.mode)];
    if (mode === undefined) throw new CliError(`unsupported mode "${flags.mode}"`);
    const res = await server
      .client(BundleService)
      .batchDeleteFederatedBundle({ mode, trustDomains: [id] })
      .catch((err: unknown) => {
        throw new CliError(`failed to delete federated bundle: ${errorText(err)}`);
      });
    if (json) printJson(io, BatchDeleteFederatedBundleResponseSchema, res);
    const result = res.results[0];
    if ((result?.status?.code ?? 0) !== 0) {
      throw new CliError(
        `failed to delete federated bundle "${result?.trustDomain ?? id}": ${result?.status?.message ?? ''}`,
      );
    }
    if (!json) io.stdout.write('bundle deleted.\n');
  },
);

/** `bundle count`: `N bundles` (`1 bundle`), the server's own included. */
export const bundleCountCommand = adminCommand(
  'bundle count',
  'Count bundles',
  [],
  async ({ io, json, server }) => {
    const res = await server.client(BundleService).countBundles({});
    if (json)
      return printJson(io, CountBundlesResponseSchema, create(CountBundlesResponseSchema, res));
    io.stdout.write(`${res.count} ${plural(res.count, 'bundle', 'bundles')}\n`);
  },
);
