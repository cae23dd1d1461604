// Mutual TLS handshakes per second on loopback, one at a time, client and server in this process:
// plain node:tls with a CA file and default verification beside SPIFFE mTLS (our tls options:
// OpenSSL pre-check against the bundle, then X509-SVID §5 verification and an authorizer on both
// sides), with the peer certificate parse cache on and off. Same keys and certificates throughout
// (the server SVID also carries IP SAN 127.0.0.1 so default host name verification can pass).
// Run: npm run bench -- tls
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import {
  BundleSet,
  createMtlsServer,
  fixedTlsSource,
  matchId,
  matchMemberOf,
  mtlsClientOptions,
  peerCertificates,
  SpiffeId,
  TrustDomain,
  X509Bundle,
  X509Svid,
} from '../packages/spiffe/src/index.js';
import {
  createCa,
  createIntermediate,
  createLeaf,
  type TestCert,
} from '../packages/spiffe/test/support/certs.js';
import { measureRate, printRates, type Rate } from './support/measure.js';

const td = TrustDomain.fromString('example.org');
const root = createCa({ commonName: 'Bench Root CA' });
const bundles = new BundleSet([new X509Bundle(td, [root.cert])]);
const serverId = SpiffeId.fromString('spiffe://example.org/server');

interface Pair {
  server: { chain: TestCert[]; leaf: TestCert };
  client: { chain: TestCert[]; leaf: TestCert };
}

function issued(depth: 0 | 1): Pair {
  const issuer = depth === 0 ? root : createIntermediate(root);
  const above = depth === 0 ? [] : [issuer];
  const server = createLeaf(issuer, {
    uris: [serverId.toString()],
    ipAddresses: ['127.0.0.1'],
  });
  const client = createLeaf(issuer, { uris: ['spiffe://example.org/client'] });
  return {
    server: { leaf: server, chain: [server, ...above] },
    client: { leaf: client, chain: [client, ...above] },
  };
}

const pem = (chain: TestCert[]) => chain.map((c) => c.pem).join('');
const keyPem = (c: TestCert) => c.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
const svid = (side: Pair['server']) =>
  X509Svid.parse(Buffer.concat(side.chain.map((c) => c.der)), side.leaf.privateKey);

async function listen(server: tls.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** One full handshake: resolves when the client saw secureConnect, then closes both ends. */
function handshake(port: number, options: tls.ConnectionOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...options }, () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

/** A running endpoint pair: what one handshake needs, and how to stop it. */
interface Mode {
  name: string;
  cacheSize: number;
  port: number;
  client: tls.ConnectionOptions;
  close(): void;
}

/**
 * Plain TLS. `ca`/`cert`/`key` on each `tls.connect` make Node build a secure context per
 * connection; `prebuilt` builds it once, as our SPIFFE options do, for a like-for-like figure.
 */
async function plain(name: string, pair: Pair, prebuilt = false): Promise<Mode> {
  const server = tls.createServer(
    {
      cert: pem(pair.server.chain),
      key: keyPem(pair.server.leaf),
      ca: root.pem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (s) => s.on('error', () => {}),
  );
  const material = { cert: pem(pair.client.chain), key: keyPem(pair.client.leaf), ca: root.pem };
  const client = prebuilt
    ? { secureContext: tls.createSecureContext(material), maxCachedSessions: 0 }
    : { ...material, maxCachedSessions: 0 };
  return { name, cacheSize: 0, port: await listen(server), client, close: () => server.close() };
}

async function spiffe(name: string, pair: Pair, cacheSize: number): Promise<Mode> {
  const server = createMtlsServer(
    { source: fixedTlsSource(svid(pair.server), bundles), authorize: matchMemberOf(td) },
    (s) => s.on('error', () => {}),
  );
  const client = mtlsClientOptions(fixedTlsSource(svid(pair.client), bundles), matchId(serverId));
  return { name, cacheSize, port: await listen(server), client, close: () => server.close() };
}

const direct = issued(0);
const chained = issued(1);
const modes = [
  await plain('plain tls, ca file (leaf only)', direct),
  await plain('plain tls, prebuilt context (leaf only)', direct, true),
  await spiffe('spiffe mtls, parse cache on (leaf only)', direct, 1_000),
  await spiffe('spiffe mtls, parse cache off (leaf only)', direct, 0),
  await plain('plain tls, ca file (leaf + intermediate)', chained),
  await plain('plain tls, prebuilt context (leaf + intermediate)', chained, true),
  await spiffe('spiffe mtls, parse cache on (leaf + intermediate)', chained, 1_000),
  await spiffe('spiffe mtls, parse cache off (leaf + intermediate)', chained, 0),
];

// The machine is shared: interleave short rounds of every mode and keep each mode's median, so
// load that comes and goes hits all modes alike.
const ROUNDS = 5;
const samples = modes.map(() => [] as Rate[]);
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [i, mode] of modes.entries()) {
    peerCertificates.resize(mode.cacheSize);
    samples[i]?.push(await measureRate(mode.name, () => handshake(mode.port, mode.client), 0.7));
  }
}
for (const mode of modes) mode.close();

const medians = samples.map((rates) => {
  const sorted = [...rates].sort((a, b) => a.opsPerSec - b.opsPerSec);
  return sorted[Math.floor(sorted.length / 2)] as Rate;
});
printRates(medians);
const [, , on1, off1, , , on2, off2] = medians.map((r) => r.opsPerSec);
console.log(
  `medians of ${ROUNDS} interleaved rounds; parse cache gain: leaf only ` +
    `${(((on1 ?? 0) / (off1 ?? 1) - 1) * 100).toFixed(1)}%, leaf + intermediate ` +
    `${(((on2 ?? 0) / (off2 ?? 1) - 1) * 100).toFixed(1)}%`,
);
