/**
 * The server's own X.509-SVID, `spiffe://<td>/spire/server` (reference §3.6): signed by the
 * active CA at start-up and again at half its lifetime, with a fresh key each time. Listeners
 * subscribe to `rotated` and hand {@link tlsCredentials} of the new SVID to their running TLS
 * server (`GrpcServer.updateTls`), so new connections see it without the port being re-opened.
 */
import { generateKeyPairSync } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock, Timer } from '../../common/clock/index.js';
import type { TlsCredentials } from '../../common/grpc/server.js';
import { LogField, type SpireLogger } from '../../common/log/index.js';
import type { CaManager } from '../ca/index.js';

/** A server SVID with its key, ready for TLS options. */
export interface ServerSvid {
  /** Leaf first (DER). */
  readonly chain: readonly Buffer[];
  readonly certPem: string;
  readonly keyPem: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
}

/** Keeps the server SVID fresh; emits `rotated` with each new one. */
export class ServerSvidRotator extends EventEmitter<{ rotated: [ServerSvid] }> {
  readonly #ca: CaManager;
  readonly #clock: Clock;
  readonly #log: SpireLogger;
  #current: ServerSvid | undefined;
  #timer: Timer | undefined;

  constructor(opts: { ca: CaManager; clock: Clock; log: SpireLogger }) {
    super();
    this.#ca = opts.ca;
    this.#clock = opts.clock;
    this.#log = opts.log;
  }

  /** The SVID presented now. */
  get current(): ServerSvid {
    if (!this.#current) throw new Error('server svid requested before start');
    return this.#current;
  }

  /** Signs the first SVID and schedules the next rotation. */
  async start(): Promise<void> {
    await this.rotate();
  }

  /** Signs a new SVID now, publishes it, and schedules the next at half its lifetime. */
  async rotate(): Promise<void> {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signed = await this.#ca.signServerX509Svid(publicKey);
    this.#current = {
      chain: signed.certChain,
      certPem: signed.certChain.map(toPem).join(''),
      keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      notBeforeMs: signed.notBeforeMs,
      notAfterMs: signed.notAfterMs,
    };
    this.#log.debug(
      { [LogField.Expiration]: new Date(signed.notAfterMs).toISOString() },
      'Server SVID rotated',
    );
    this.emit('rotated', this.#current);
    this.#schedule();
  }

  /** Cancels the rotation timer. */
  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer?.cancel();
    const svid = this.current;
    const halfLife = svid.notBeforeMs + (svid.notAfterMs - svid.notBeforeMs) / 2;
    const delay = Math.max(1_000, halfLife - this.#clock.now());
    this.#timer = this.#clock.setTimer(delay, () => {
      this.rotate().catch((err: unknown) =>
        this.#log.error({ [LogField.Error]: err }, 'Failed to rotate the server SVID'),
      );
    });
  }
}

/** What a TLS listener presents for `svid`: the chain (leaf first) and the key, PEM. */
export function tlsCredentials(svid: ServerSvid): TlsCredentials {
  return { cert: svid.certPem, key: svid.keyPem };
}

/** PEM of one DER certificate. */
export function toPem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
