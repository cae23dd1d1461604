import type { BundleSet, X509Bundle, X509BundleSource } from '../bundle/index.js';
import type { TrustDomain } from '../spiffeid/index.js';
import type { X509Svid } from '../svid/x509/index.js';
import { WorkloadApiError, WorkloadApiErrorCode } from './errors.js';
import type { X509Context } from './parse.js';
import { type Feed, SourceCore, type SourceOptions } from './source-core.js';

/** Picks the SVID a source hands out from the current list (default first). */
export type X509SvidPicker = (svids: readonly X509Svid[]) => X509Svid | undefined;

/** Options of {@link X509Source.create}. */
export interface X509SourceOptions extends SourceOptions {
  /** Hand out the first SVID with this hint instead of the default one. */
  hint?: string;
  /** Hand out the SVID this function picks (wins over `hint`). */
  picker?: X509SvidPicker;
}

/**
 * The workload's X.509-SVID and X.509 bundles, kept current from the Workload API (as go-spiffe's
 * `workloadapi.X509Source`). Emits `updated` after each rotation and `watchError` for each
 * failure it survives; `updates()` offers the same as an async iterator.
 *
 * @example
 * const source = await X509Source.create({ timeoutMs: 5000 });
 * source.getX509Svid().id.toString();
 * source.close();
 */
export class X509Source extends SourceCore implements X509BundleSource {
  #context: X509Context | undefined;
  readonly #pick: X509SvidPicker;

  private constructor(options: X509SourceOptions) {
    super(options);
    this.#pick = options.picker ?? pickByHint(options.hint);
  }

  /**
   * Starts watching and resolves after the first good update. Fails with
   * `ERR_WORKLOADAPI_TIMEOUT` (saying what the agent last answered) or with InvalidArgument.
   */
  static async create(options: X509SourceOptions = {}): Promise<X509Source> {
    const source = new X509Source(options);
    const feed: Feed<X509Context> = {
      what: 'x509 context',
      watch: (client, opts) => client.watchX509Context(opts),
      apply: (ctx) => {
        source.#context = ctx;
      },
    };
    await source.start([feed as Feed<unknown>], options.timeoutMs);
    return source;
  }

  /** The SVID chosen by hint or picker, else the default (first) one. */
  getX509Svid(): X509Svid {
    const svids = this.getX509Svids();
    const svid = this.#pick(svids);
    if (svid === undefined) {
      throw new WorkloadApiError(
        WorkloadApiErrorCode.NoSvid,
        `no x509 svid matches the picker among ${svids.map((s) => s.id).join(', ')}`,
      );
    }
    return svid;
  }

  /** Every current SVID, the default first. */
  getX509Svids(): readonly X509Svid[] {
    return this.#current().svids;
  }

  /** The current bundles: own trust domain and federated ones. */
  getX509BundleSet(): BundleSet {
    return this.#current().bundles;
  }

  /** The current X.509 bundle of `td`, or `undefined` (then a peer of `td` is untrusted). */
  getX509BundleForTrustDomain(td: TrustDomain): X509Bundle | undefined {
    return this.#current().bundles.getX509BundleForTrustDomain(td);
  }

  #current(): X509Context {
    this.requireOpen('x509 source');
    return this.#context as X509Context;
  }
}

function pickByHint(hint: string | undefined): X509SvidPicker {
  if (hint === undefined) return (svids) => svids[0];
  return (svids) => svids.find((s) => s.hint === hint);
}
