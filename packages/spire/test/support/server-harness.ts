/**
 * Test harness for the server API: a real {@link ServerContext} (temporary SQLite datastore,
 * memory KeyManager, a started CaManager, the authorized-entries cache and its change notifier)
 * serving the Connect services a test gives it, behind the real authorization interceptor, on
 * BOTH a temporary Unix socket (callers are `local`) and a TLS loopback port `127.0.0.1:0`
 * presenting the server SVID (callers are `anonymous`, or X.509 callers with an SVID the harness
 * mints: an agent with an attested-node record, an admin listed in `admin_ids`, any workload ID).
 * As in the server, when the SVID service is given with its agent methods, BatchNewX509SVID and
 * NewJWTSVID are served on the raw-stream path (`svidStreams`) on both listeners.
 *
 * @example
 * const h = await startServerHarness({ routes: (r) => r.service(Entry, createEntryService(ctx)) });
 * // routes may also be a function of the context:
 * const h = await startServerHarness({ services: (ctx) => [[Entry, createEntryService(ctx)]] });
 * const local = h.local(Entry);              // over the Unix socket
 * const anon = h.anonymous(Bundle);          // TLS without a client certificate
 * const agent = await h.attestedAgent('/spire/agent/join_token/t1');
 * const asAgent = h.withSvid(Entry, agent.svid);
 * await h.close();
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescService } from '@bufbuild/protobuf';
import {
  type Client,
  type ConnectRouter,
  createClient,
  type ServiceImpl,
} from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { SpiffeId } from '@spire-ts/spiffe';
import { type Clock, realClock } from '../../src/common/clock/index.js';
import { parseConfigText } from '../../src/common/config/index.js';
import { type GrpcServer, serveGrpc } from '../../src/common/grpc/index.js';
import { createLogger, type SpireLogger } from '../../src/common/log/index.js';
import { SVID } from '../../src/gen/spire/api/server/svid/v1/svid_pb.js';
import { authorizationInterceptor } from '../../src/server/api/authorize.js';
import type { ServerContext } from '../../src/server/api/context.js';
import { svidStreams } from '../../src/server/api/svid/streams.js';
import { MemoryCaJournalStore } from '../../src/server/ca/index.js';
import { buildServerConfig } from '../../src/server/config/index.js';
import {
  type AttestedNode,
  type DataStore,
  openSqlDataStore,
  parseSqlStoreConfig,
} from '../../src/server/datastore/index.js';
import { MemoryKeyManager } from '../../src/server/plugin/keymanager/index.js';
import { JoinTokenAttestor } from '../../src/server/plugin/nodeattestor/join_token/join-token.js';
import type { ServerNodeAttestor } from '../../src/server/plugin/nodeattestor/node-attestor.js';
import type { CacheChangeNotifier } from '../../src/server/runtime/change-notifier.js';
import { buildServerContext } from '../../src/server/runtime/context.js';

/** An X.509-SVID the harness minted, ready to present as a TLS client. */
export interface HarnessSvid {
  readonly id: string;
  /** Leaf first, PEM. */
  readonly certPem: string;
  readonly keyPem: string;
  /** The leaf's serial, lower-case hex as the attested-node records hold it. */
  readonly serial: string;
  readonly notAfterMs: number;
}

/** A service and its implementation, as `router.service` takes them. */
// biome-ignore lint/suspicious/noExplicitAny: any service type goes through the same list
export type ServiceEntry = readonly [DescService, Partial<ServiceImpl<any>>];

/** Options of {@link startServerHarness}. */
export interface ServerHarnessOptions {
  /** Services to serve, built from the harness's context. */
  readonly services?: (ctx: ServerContext) => readonly ServiceEntry[];
  /** Extra `server { }` HCL lines, e.g. `admin_ids = ["spiffe://example.org/admin"]`. */
  readonly serverHcl?: string;
  readonly clock?: Clock;
  /** Where log lines go; defaults to nowhere. Tests of logging pass an array sink. */
  readonly logLines?: string[];
  /** Extra node attestors besides join_token. */
  readonly nodeAttestors?: readonly ServerNodeAttestor[];
}

/** A running harness. */
export interface ServerHarness {
  readonly ctx: ServerContext;
  readonly datastore: DataStore;
  readonly notifier: CacheChangeNotifier;
  readonly dir: string;
  readonly socketPath: string;
  readonly tcpPort: number;
  /** The trust bundle as PEM (what a TLS client trusts). */
  bundlePem(): string;
  /** A client over the Unix socket: the caller is `local`. */
  local<S extends DescService>(service: S): Client<S>;
  /** A client over TLS without a client certificate: the caller is `anonymous`. */
  anonymous<S extends DescService>(service: S): Client<S>;
  /** A client over TLS presenting `svid`. */
  withSvid<S extends DescService>(service: S, svid: HarnessSvid): Client<S>;
  /** Mints an X.509-SVID for `idOrPath` (a full SPIFFE ID, or a path in the trust domain). */
  mintSvid(idOrPath: string): Promise<HarnessSvid>;
  /**
   * Mints an agent SVID and records the attested node with its serial (selectors optional), as
   * AttestAgent would; `node` overrides record fields (banned: `certSerialNumber: ''`).
   */
  attestedAgent(
    path: string,
    opts?: { selectors?: { type: string; value: string }[]; node?: Partial<AttestedNode> },
  ): Promise<{ svid: HarnessSvid; node: AttestedNode }>;
  close(): Promise<void>;
}

/** Starts a harness; always `close()` it (afterEach/afterAll). */
export async function startServerHarness(opts: ServerHarnessOptions = {}): Promise<ServerHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'spire-harness-'));
  const clock = opts.clock ?? realClock;
  const socketPath = join(dir, 'private', 'api.sock');
  const config = buildServerConfig(
    parseConfigText(
      `server {
        trust_domain = "example.org"
        data_dir = "${dir}"
        bind_address = "127.0.0.1"
        bind_port = "8081"
        socket_path = "${socketPath}"
        ${opts.serverHcl ?? ''}
      }
      plugins {
        DataStore "sql" { plugin_data { database_type = "sqlite3" connection_string = "${dir}/datastore.sqlite3" } }
        KeyManager "memory" { plugin_data {} }
        NodeAttestor "join_token" { plugin_data {} }
      }`,
      join(dir, 'server.conf'),
    ),
  );
  const log = harnessLogger(opts.logLines);
  const datastore = await openSqlDataStore(
    parseSqlStoreConfig({
      database_type: 'sqlite3',
      connection_string: join(dir, 'datastore.sqlite3'),
    }),
    { now: () => Math.floor(clock.now() / 1000) },
  );
  const joinToken = new JoinTokenAttestor({
    trustDomain: config.trust_domain,
    store: datastore,
    clock,
  });
  const attestors = new Map<string, ServerNodeAttestor>([[joinToken.name, joinToken]]);
  for (const a of opts.nodeAttestors ?? []) attestors.set(a.name, a);
  const built = await buildServerContext({
    config,
    clock,
    log,
    datastore,
    keyManager: new MemoryKeyManager(),
    journal: new MemoryCaJournalStore(),
    nodeAttestors: attestors,
  });
  const { ctx } = built;

  const mintSvid = async (idOrPath: string) => mint(ctx, idOrPath);
  const serverSvid = await serverSvidFor(ctx);
  const services = opts.services?.(ctx) ?? [];
  const routes = (router: ConnectRouter) => {
    for (const [service, impl] of services) router.service(service, impl);
  };
  const interceptors = [authorizationInterceptor(ctx)];
  // As the server: when the SVID service's agent methods are served, they take the raw streams
  // (a test's partial SVID service without them stays on Connect alone).
  const servesAgentSvids = services.some(
    ([service, impl]) => service === SVID && impl.batchNewX509SVID && impl.newJWTSVID,
  );
  const rawStreams = servesAgentSvids ? svidStreams(ctx) : undefined;
  const servers: GrpcServer[] = [];
  try {
    servers.push(
      await serveGrpc({
        routes,
        interceptors,
        rawStreams,
        listen: { kind: 'unix', path: socketPath, mode: 0o770, dirMode: 0o750 },
      }),
    );
    servers.push(
      await serveGrpc({
        routes,
        interceptors,
        rawStreams,
        listen: {
          kind: 'tcp',
          host: '127.0.0.1',
          port: 0,
          tls: {
            key: serverSvid.keyPem,
            cert: serverSvid.certPem,
            requestCert: true,
            rejectUnauthorized: false,
          },
        },
      }),
    );
  } catch (err) {
    for (const s of servers) await s.close();
    built.stop();
    await datastore.close();
    throw err;
  }
  const tcpPort = servers[1]?.port ?? 0;
  const bundlePem = () =>
    ctx.ca
      .bundle()
      .x509Authorities.map((d) => toPem(d))
      .join('');
  const tlsClient = <S extends DescService>(service: S, svid?: HarnessSvid) =>
    createClient(
      service,
      createGrpcTransport({
        baseUrl: `https://127.0.0.1:${tcpPort}`,
        nodeOptions: {
          ca: bundlePem(),
          // The server SVID names a SPIFFE ID, not a host: trust comes from the bundle.
          checkServerIdentity: () => undefined,
          ...(svid ? { cert: svid.certPem, key: svid.keyPem } : {}),
        },
      }),
    );

  return {
    ctx,
    datastore,
    notifier: built.notifier,
    dir,
    socketPath,
    tcpPort,
    bundlePem,
    local: (service) =>
      createClient(
        service,
        createGrpcTransport({
          baseUrl: 'http://localhost',
          nodeOptions: { createConnection: () => net.connect(socketPath) },
        }),
      ),
    anonymous: (service) => tlsClient(service),
    withSvid: (service, svid) => tlsClient(service, svid),
    mintSvid,
    attestedAgent: (path, o = {}) => attestedAgent(ctx, path, o),
    async close() {
      for (const s of servers) await s.close();
      built.stop();
      await datastore.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function harnessLogger(lines: string[] | undefined): SpireLogger {
  const stream = { write: (line: string) => lines?.push(line) };
  return createLogger({ level: 'debug', format: 'json', stream }).logger;
}

function newKey(): { publicKey: KeyObject; keyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { publicKey, keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

function svidOf(
  id: string,
  signed: { certChain: readonly Buffer[]; serial: Buffer; notAfterMs: number },
  keyPem: string,
): HarnessSvid {
  const hex = signed.serial.toString('hex').replace(/^0+/, '') || '0';
  return {
    id,
    certPem: signed.certChain.map((d) => toPem(d)).join(''),
    keyPem,
    serial: hex,
    notAfterMs: signed.notAfterMs,
  };
}

async function mint(ctx: ServerContext, idOrPath: string): Promise<HarnessSvid> {
  const id = idOrPath.startsWith('spiffe://')
    ? SpiffeId.fromString(idOrPath)
    : SpiffeId.fromPath(ctx.trustDomain, idOrPath);
  const { publicKey, keyPem } = newKey();
  const signed = id.path.startsWith('/spire/agent/')
    ? await ctx.ca.signAgentX509Svid({ spiffeId: id, publicKey })
    : await ctx.ca.signWorkloadX509Svid({ spiffeId: id, publicKey });
  return svidOf(id.toString(), signed, keyPem);
}

async function serverSvidFor(ctx: ServerContext): Promise<HarnessSvid> {
  const { publicKey, keyPem } = newKey();
  const signed = await ctx.ca.signServerX509Svid(publicKey);
  return svidOf(ctx.serverId.toString(), signed, keyPem);
}

async function attestedAgent(
  ctx: ServerContext,
  path: string,
  opts: { selectors?: { type: string; value: string }[]; node?: Partial<AttestedNode> },
): Promise<{ svid: HarnessSvid; node: AttestedNode }> {
  const svid = await mint(ctx, path);
  const node = await ctx.datastore.createAttestedNode({
    spiffeId: svid.id,
    attestationDataType: 'join_token',
    certSerialNumber: svid.serial,
    certNotAfter: Math.floor(svid.notAfterMs / 1000),
    ...opts.node,
  });
  if (opts.selectors) await ctx.datastore.setNodeSelectors(svid.id, opts.selectors);
  await ctx.changed.nodes([svid.id]);
  return { svid, node };
}
