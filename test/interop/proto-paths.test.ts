import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { type DescMessage, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SpiffeWorkloadAPI } from '../../packages/spiffe/src/gen/workload_pb.js';
import { type GrpcServer, serveGrpc } from '../../packages/spire/src/common/grpc/index.js';
import { SecretSchema } from '../../packages/spire/src/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { SPIFFECertValidatorConfigSchema } from '../../packages/spire/src/gen/envoy/extensions/transport_sockets/tls/v3/tls_spiffe_validator_config_pb.js';
import { DiscoveryRequestSchema } from '../../packages/spire/src/gen/envoy/service/discovery/v3/discovery_pb.js';
import { SecretDiscoveryService } from '../../packages/spire/src/gen/envoy/service/secret/v3/sds_pb.js';
import { AgentSchema } from '../../packages/spire/src/gen/spire/api/types/agent_pb.js';
import { EntrySchema } from '../../packages/spire/src/gen/spire/api/types/entry_pb.js';
import { X509SVIDSchema } from '../../packages/spire/src/gen/spire/api/types/x509svid_pb.js';

const WORKLOAD_PROTO = fileURLToPath(
  new URL('../../packages/spiffe/proto/workload.proto', import.meta.url),
);
const HEADER = 'workload.spiffe.io';

let dir: string;
let server: GrpcServer;
let client: grpc.Client;
const headersSeen: (string | null)[] = [];

/** A test-only Workload API: FetchX509SVID checks the security header, then sends one SVID. */
function routes(router: ConnectRouter) {
  router.service(SpiffeWorkloadAPI, {
    async *fetchX509SVID(_req, ctx) {
      const header = ctx.requestHeader.get(HEADER);
      headersSeen.push(header);
      if (header !== 'true') {
        throw new ConnectError('security header missing from request', Code.InvalidArgument);
      }
      yield {
        svids: [{ spiffeId: 'spiffe://example.org/w', x509Svid: new Uint8Array([1, 2, 3]) }],
        federatedBundles: { 'spiffe://other.org': new Uint8Array([9]) },
      };
    },
    validateJWTSVID() {
      throw new ConnectError('no identity issued', Code.PermissionDenied);
    },
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'proto-paths-'));
  const path = join(dir, 'public', 'api.sock');
  server = await serveGrpc({ routes, listen: { kind: 'unix', path, mode: 0o777 } });
  client = new grpc.Client(`unix://${path}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Our workload.proto as grpc-js sees it through proto-loader (an independent parser). */
function workloadDefinition(): loader.PackageDefinition {
  return loader.loadSync(WORKLOAD_PROTO, { keepCase: true, longs: String, defaults: true });
}

interface StreamOutcome {
  readonly messages: Record<string, unknown>[];
  readonly code: number;
  readonly details: string;
}

/** Calls a server-streaming method at `path` with grpc-js and collects what arrives. */
function callStream(path: string, metadata: grpc.Metadata): Promise<StreamOutcome> {
  const method = workloadDefinition().SpiffeWorkloadAPI as loader.ServiceDefinition;
  const def = method.FetchX509SVID as loader.MethodDefinition<object, Record<string, unknown>>;
  const call = client.makeServerStreamRequest(
    path,
    def.requestSerialize,
    def.responseDeserialize,
    {},
    metadata,
  );
  const messages: Record<string, unknown>[] = [];
  call.on('data', (m: Record<string, unknown>) => messages.push(m));
  return new Promise((resolve) => {
    call.on('error', () => {});
    call.on('status', (s: grpc.StatusObject) =>
      resolve({ messages, code: s.code, details: s.details }),
    );
  });
}

function withHeader(value?: string): grpc.Metadata {
  const md = new grpc.Metadata();
  if (value !== undefined) md.set(HEADER, value);
  return md;
}

describe('Workload API paths, served by Connect, called by grpc-js with our workload.proto', () => {
  it('names the service SpiffeWorkloadAPI with no package (Workload API: paths /SpiffeWorkloadAPI/<Method>)', () => {
    const svc = workloadDefinition().SpiffeWorkloadAPI as loader.ServiceDefinition;

    expect(SpiffeWorkloadAPI.typeName).toBe('SpiffeWorkloadAPI');
    expect(Object.values(svc).map((m) => m.path)).toEqual([
      '/SpiffeWorkloadAPI/FetchX509SVID',
      '/SpiffeWorkloadAPI/FetchX509Bundles',
      '/SpiffeWorkloadAPI/FetchJWTSVID',
      '/SpiffeWorkloadAPI/FetchJWTBundles',
      '/SpiffeWorkloadAPI/ValidateJWTSVID',
      '/SpiffeWorkloadAPI/FetchWITSVID',
      '/SpiffeWorkloadAPI/FetchWITBundles',
    ]);
  });

  it('streams an X509SVIDResponse on /SpiffeWorkloadAPI/FetchX509SVID when the header arrives', async () => {
    headersSeen.length = 0;
    const out = await callStream('/SpiffeWorkloadAPI/FetchX509SVID', withHeader('true'));

    expect(headersSeen).toEqual(['true']);
    expect(out.code).toBe(grpc.status.OK);
    expect(out.messages).toHaveLength(1);
    expect(out.messages[0]).toMatchObject({
      svids: [{ spiffe_id: 'spiffe://example.org/w', x509_svid: Buffer.from([1, 2, 3]), hint: '' }],
      federated_bundles: { 'spiffe://other.org': Buffer.from([9]) },
    });
  });

  it.each([
    ['no security header', undefined, [null]],
    ['a security header that is not "true"', 'false', ['false']],
  ])('delivers INVALID_ARGUMENT set by the server for %s', async (_name, value, seen) => {
    headersSeen.length = 0;
    const out = await callStream('/SpiffeWorkloadAPI/FetchX509SVID', withHeader(value));

    expect(headersSeen).toEqual(seen);
    expect(out).toEqual({
      messages: [],
      code: grpc.status.INVALID_ARGUMENT,
      details: 'security header missing from request',
    });
  });

  it('delivers PERMISSION_DENIED from a unary handler with its message', async () => {
    const pkg = grpc.loadPackageDefinition(workloadDefinition());
    const Ctor = pkg.SpiffeWorkloadAPI as grpc.ServiceClientConstructor;
    const api = new Ctor(
      `unix://${join(dir, 'public', 'api.sock')}`,
      grpc.credentials.createInsecure(),
    );
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      const call = api.ValidateJWTSVID as (
        req: object,
        md: grpc.Metadata,
        cb: (e: grpc.ServiceError) => void,
      ) => void;
      call.call(api, { audience: 'a', svid: 'x' }, withHeader('true'), resolve);
    });
    api.close();

    expect({ code: err.code, details: err.details }).toEqual({
      code: grpc.status.PERMISSION_DENIED,
      details: 'no identity issued',
    });
  });

  it.each([
    ['a package prefix', '/spiffe.workload.SpiffeWorkloadAPI/FetchX509SVID'],
    ['an unknown method', '/SpiffeWorkloadAPI/FetchX509SVIDs'],
  ])('answers UNIMPLEMENTED for a path with %s', async (_name, path) => {
    const out = await callStream(path, withHeader('true'));

    expect(out.code).toBe(grpc.status.UNIMPLEMENTED);
  });
});

// Field numbers as published in spire-api-sdk (spire.api.types), written here independently of
// our .proto files. Each case encodes one field by number and checks that our generated schema
// decodes it into the field of that name (a wrong number would land in unknown fields instead).
type Encode = (w: BinaryWriter) => void;
const str =
  (n: number, v: string): Encode =>
  (w) =>
    w.tag(n, WireType.LengthDelimited).string(v);
const raw =
  (n: number, v: Uint8Array): Encode =>
  (w) =>
    w.tag(n, WireType.LengthDelimited).bytes(v);
const i32 =
  (n: number, v: number): Encode =>
  (w) =>
    w.tag(n, WireType.Varint).int32(v);
const i64 =
  (n: number, v: bigint): Encode =>
  (w) =>
    w.tag(n, WireType.Varint).int64(v);
const bool =
  (n: number): Encode =>
  (w) =>
    w.tag(n, WireType.Varint).bool(true);
const msg =
  (n: number, ...fields: Encode[]): Encode =>
  (w) =>
    w.tag(n, WireType.LengthDelimited).bytes(encode(...fields));

const all =
  (...fields: Encode[]): Encode =>
  (w) => {
    for (const f of fields) f(w);
  };

function encode(...fields: Encode[]): Uint8Array {
  const w = new BinaryWriter();
  for (const f of fields) f(w);
  return w.finish();
}

const ID = { trustDomain: 'example.org', path: '/w' };
const id = (n: number) => msg(n, str(1, 'example.org'), str(2, '/w'));

const cases: [string, DescMessage, Encode, Record<string, unknown>][] = [
  ['Entry.id = 1', EntrySchema, str(1, 'e1'), { id: 'e1' }],
  ['Entry.spiffe_id = 2', EntrySchema, id(2), { spiffeId: ID }],
  ['Entry.parent_id = 3', EntrySchema, id(3), { parentId: ID }],
  [
    'Entry.selectors = 4',
    EntrySchema,
    msg(4, str(1, 'unix'), str(2, 'uid:1')),
    { selectors: [{ type: 'unix', value: 'uid:1' }] },
  ],
  ['Entry.x509_svid_ttl = 5', EntrySchema, i32(5, 3600), { x509SvidTtl: 3600 }],
  ['Entry.federates_with = 6', EntrySchema, str(6, 'b.org'), { federatesWith: ['b.org'] }],
  ['Entry.admin = 7', EntrySchema, bool(7), { admin: true }],
  ['Entry.downstream = 8', EntrySchema, bool(8), { downstream: true }],
  ['Entry.expires_at = 9', EntrySchema, i64(9, 99n), { expiresAt: 99n }],
  ['Entry.dns_names = 10', EntrySchema, str(10, 'a.test'), { dnsNames: ['a.test'] }],
  ['Entry.revision_number = 11', EntrySchema, i64(11, 5n), { revisionNumber: 5n }],
  ['Entry.store_svid = 12', EntrySchema, bool(12), { storeSvid: true }],
  ['Entry.jwt_svid_ttl = 13', EntrySchema, i32(13, 300), { jwtSvidTtl: 300 }],
  ['Entry.hint = 14', EntrySchema, str(14, 'h'), { hint: 'h' }],
  ['Entry.created_at = 15', EntrySchema, i64(15, 7n), { createdAt: 7n }],
  [
    'Entry.additional_attributes = 16 {disable_x509_svid_prefetch = 1, jwt_svid_include_jti = 2}',
    EntrySchema,
    msg(16, bool(1), bool(2)),
    { additionalAttributes: { disableX509SvidPrefetch: true, jwtSvidIncludeJti: true } },
  ],
  ['Agent.id = 1', AgentSchema, id(1), { id: ID }],
  [
    'Agent.attestation_type = 2',
    AgentSchema,
    str(2, 'join_token'),
    { attestationType: 'join_token' },
  ],
  ['Agent.x509svid_serial_number = 3', AgentSchema, str(3, '42'), { x509svidSerialNumber: '42' }],
  ['Agent.x509svid_expires_at = 4', AgentSchema, i64(4, 8n), { x509svidExpiresAt: 8n }],
  [
    'Agent.selectors = 5',
    AgentSchema,
    msg(5, str(1, 'k'), str(2, 'v')),
    { selectors: [{ type: 'k', value: 'v' }] },
  ],
  ['Agent.banned = 6', AgentSchema, bool(6), { banned: true }],
  ['Agent.can_reattest = 7', AgentSchema, bool(7), { canReattest: true }],
  ['Agent.agent_version = 8', AgentSchema, str(8, '1.9'), { agentVersion: '1.9' }],
  [
    'X509SVID.cert_chain = 1',
    X509SVIDSchema,
    raw(1, new Uint8Array([48, 1])),
    { certChain: [new Uint8Array([48, 1])] },
  ],
  ['X509SVID.id = 2', X509SVIDSchema, id(2), { id: ID }],
  ['X509SVID.expires_at = 3', X509SVIDSchema, i64(3, 11n), { expiresAt: 11n }],
  ['X509SVID.hint = 4', X509SVIDSchema, str(4, 'x'), { hint: 'x' }],
];

// Envoy SDS subset, numbers as published in envoyproxy/data-plane-api.
const pem = (n: number) => msg(n, raw(2, new Uint8Array([0x2d])));
const inline = { specifier: { case: 'inlineBytes', value: new Uint8Array([0x2d]) } };
cases.push(
  ['Secret.name = 1', SecretSchema, str(1, 'default'), { name: 'default' }],
  [
    'Secret.tls_certificate = 2 {certificate_chain = 1, private_key = 2} (DataSource.inline_bytes = 2)',
    SecretSchema,
    msg(2, pem(1), pem(2)),
    {
      type: {
        case: 'tlsCertificate',
        value: { certificateChain: inline, privateKey: inline },
      },
    },
  ],
  [
    'Secret.validation_context = 4 {trusted_ca = 1, custom_validator_config = 12}',
    SecretSchema,
    msg(4, pem(1), msg(12, str(1, 'envoy.tls.cert_validator.spiffe'))),
    {
      type: {
        case: 'validationContext',
        value: {
          trustedCa: inline,
          customValidatorConfig: { name: 'envoy.tls.cert_validator.spiffe' },
        },
      },
    },
  ],
  [
    'SPIFFECertValidatorConfig.trust_domains = 1 {name = 1, trust_bundle = 2}',
    SPIFFECertValidatorConfigSchema,
    msg(1, str(1, 'example.org'), pem(2)),
    { trustDomains: [{ name: 'example.org', trustBundle: inline }] },
  ],
  [
    'DiscoveryRequest {version_info = 1, resource_names = 3, type_url = 4, response_nonce = 5}',
    DiscoveryRequestSchema,
    all(str(1, '1'), str(3, 'ROOTCA'), str(4, 't'), str(5, 'ab12cd34')),
    { versionInfo: '1', resourceNames: ['ROOTCA'], typeUrl: 't', responseNonce: 'ab12cd34' },
  ],
  [
    'DiscoveryRequest.node = 2 {metadata = 3, user_agent_build_version = 8 {version = 1}}',
    DiscoveryRequestSchema,
    msg(2, str(1, 'n'), msg(8, msg(1, i32(1, 1), i32(2, 18)))),
    {
      node: {
        id: 'n',
        userAgentVersionType: {
          case: 'userAgentBuildVersion',
          value: { version: { majorNumber: 1, minorNumber: 18, patch: 0 } },
        },
      },
    },
  ],
);

describe('Envoy SDS service path and unknown fields', () => {
  it('serves /envoy.service.secret.v3.SecretDiscoveryService/<Method>', () => {
    expect(SecretDiscoveryService.typeName).toBe('envoy.service.secret.v3.SecretDiscoveryService');
    expect(SecretDiscoveryService.methods.map((m) => m.name)).toEqual([
      'DeltaSecrets',
      'StreamSecrets',
      'FetchSecrets',
    ]);
  });

  it('keeps a field we left out (DiscoveryRequest.resource_locators = 7) byte for byte', () => {
    const bytes = encode(str(1, 'v'), msg(7, str(1, 'locator')));

    const decoded = fromBinary(DiscoveryRequestSchema, bytes);

    expect(decoded.versionInfo).toBe('v');
    expect(decoded.$unknown?.map((u) => u.no)).toEqual([7]);
    expect(toBinary(DiscoveryRequestSchema, decoded)).toEqual(bytes);
  });
});

describe('SPIRE API and Envoy field numbers match the published contracts', () => {
  it.each(cases)('%s', (_name, schema, field, want) => {
    const decoded = fromBinary(schema, encode(field)) as Record<string, unknown>;

    expect(decoded.$unknown).toBeUndefined();
    expect(decoded).toMatchObject(want);
  });
});
