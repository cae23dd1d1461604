import type { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AgentX509PopAttestor,
  parseAgentX509PopConfig,
} from '../../../../src/agent/plugin/nodeattestor/x509pop/x509pop.js';
import { FakeClock } from '../../../../src/common/clock/fake-clock.js';
import { fingerprint } from '../../../../src/common/plugin/x509pop/protocol.js';
import { parseX509PopConfig } from '../../../../src/server/plugin/nodeattestor/x509pop/config.js';
import {
  type ChainVerifier,
  X509PopAttestor,
} from '../../../../src/server/plugin/nodeattestor/x509pop/x509pop.js';
import { makeCert } from '../../../support/pki.js';

/** Test verifier: each certificate signed by the next, the last by a root, all valid at `at`. */
const verifyChain: ChainVerifier = (chain, roots, at) => {
  const path = [...chain];
  for (;;) {
    const last = path[path.length - 1] as X509Certificate;
    const valid = (c: X509Certificate) => new Date(c.validFrom) <= at && at <= new Date(c.validTo);
    if (!valid(last)) throw new Error('certificate has expired or is not yet valid');
    const root = roots.find((r) => last.checkIssued(r) && last.verify(r.publicKey));
    if (root) return [...path, root];
    const next = chain.find(
      (c) => !path.includes(c) && last.checkIssued(c) && last.verify(c.publicKey),
    );
    if (!next) throw new Error('x509: certificate signed by unknown authority');
    path.push(next);
  }
};

async function pki() {
  const root = await makeCert({ subject: 'CN=Root CA', ca: true });
  const intermediate = await makeCert({
    subject: 'CN=Intermediate',
    issuer: root,
    ca: true,
    serial: '02',
  });
  const leaf = await makeCert({
    subject: 'CN=node-1',
    issuer: intermediate,
    serial: '0a1b2c',
    uris: ['x509pop://example.org/datacenter/us-east-1', 'x509pop://other.org/x/y', 'https://a/b'],
  });
  const dir = mkdtempSync(join(tmpdir(), 'x509pop-'));
  writeFileSync(join(dir, 'root.pem'), root.pem);
  writeFileSync(join(dir, 'leaf.pem'), leaf.pem);
  writeFileSync(join(dir, 'intermediate.pem'), intermediate.pem);
  writeFileSync(join(dir, 'leaf.key'), leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { root, intermediate, leaf, dir };
}

function server(dir: string, extra: Record<string, unknown> = {}) {
  return new X509PopAttestor({
    trustDomain: 'example.org',
    config: parseX509PopConfig({ ca_bundle_path: join(dir, 'root.pem'), ...extra }),
    clock: new FakeClock(Date.UTC(2030, 0, 1)),
    verifyChain,
  });
}

function agent(dir: string) {
  return new AgentX509PopAttestor(
    parseAgentX509PopConfig({
      private_key_path: join(dir, 'leaf.key'),
      certificate_path: join(dir, 'leaf.pem'),
      intermediates_path: join(dir, 'intermediate.pem'),
    }),
  );
}

async function run(s: X509PopAttestor, a: AgentX509PopAttestor) {
  return s.attest(await a.payload(), (challenge) => a.respond(challenge));
}

describe('x509pop node attestation, agent and server plugins together', () => {
  it('attests a node: agent ID from the fingerprint, SPIRE’s selectors, re-attestable', async () => {
    const { intermediate, root, leaf, dir } = await pki();
    const result = await run(server(dir), agent(dir));
    expect(result).toEqual({
      agentId: `spiffe://example.org/spire/agent/x509pop/${fingerprint(leaf.cert.raw)}`,
      selectors: [
        { type: 'x509pop', value: 'subject:cn:node-1' },
        { type: 'x509pop', value: `ca:fingerprint:${fingerprint(intermediate.cert.raw)}` },
        { type: 'x509pop', value: `ca:fingerprint:${fingerprint(root.cert.raw)}` },
        { type: 'x509pop', value: 'serialnumber:0a1b2c' },
        { type: 'x509pop', value: 'san:datacenter:us-east-1' },
      ],
      canReattest: true,
    });
  });

  it('names the agent by agent_path_template', async () => {
    const { dir } = await pki();
    const s = server(dir, {
      agent_path_template: '{{ .PluginName }}/cn/{{ .Subject.CommonName }}',
    });
    expect((await run(s, agent(dir))).agentId).toBe(
      'spiffe://example.org/spire/agent/x509pop/cn/node-1',
    );
  });

  it('refuses a chain that does not lead to the configured CA', async () => {
    const { dir } = await pki();
    const other = await makeCert({ subject: 'CN=Other Root', ca: true });
    writeFileSync(join(dir, 'root.pem'), other.pem);
    await expect(run(server(dir), agent(dir))).rejects.toMatchObject({
      kind: 'permission_denied',
      message:
        'x509pop: certificate verification failed: x509: certificate signed by unknown authority',
    });
  });

  it('refuses a node that cannot sign the nonce with the leaf’s key', async () => {
    const { dir } = await pki();
    const impostor = await makeCert({ subject: 'CN=impostor' });
    const a = agent(dir);
    const payload = await a.payload();
    writeFileSync(
      join(dir, 'leaf.key'),
      impostor.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    const liar = agent(dir);
    await expect(server(dir).attest(payload, (c) => liar.respond(c))).rejects.toMatchObject({
      kind: 'permission_denied',
      message: 'x509pop: challenge response verification failed: ECDSA signature verify failed',
    });
  });

  it('refuses a leaf whose key usage does not allow digital signatures', async () => {
    const { dir, intermediate } = await pki();
    const leaf = await makeCert({ subject: 'CN=enc-only', issuer: intermediate, keyUsages: 0x20 });
    writeFileSync(join(dir, 'leaf.pem'), leaf.pem);
    writeFileSync(join(dir, 'leaf.key'), leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await expect(run(server(dir), agent(dir))).rejects.toMatchObject({
      message: 'x509pop: certificate not intended for digital signature use',
    });
  });

  it('refuses payloads that are not attestation data, naming the problem', async () => {
    const { dir } = await pki();
    const never = async () => Buffer.alloc(0);
    await expect(
      server(dir).attest(Buffer.from('{"certificates":[]}'), never),
    ).rejects.toMatchObject({
      kind: 'invalid_argument',
      message: 'x509pop: no certificate to attest',
    });
    await expect(
      server(dir).attest(Buffer.from('{"certificates":["AAAA"]}'), never),
    ).rejects.toMatchObject({
      message: 'x509pop: unable to parse leaf certificate',
    });
    await expect(server(dir).attest(Buffer.from('nope'), never)).rejects.toMatchObject({
      message: 'x509pop: failed to unmarshal attestation data: not JSON',
    });
  });

  it('refuses an agent path that is not a valid SPIFFE ID path', async () => {
    const { dir, intermediate } = await pki();
    const leaf = await makeCert({ subject: 'CN=bad name', issuer: intermediate });
    writeFileSync(join(dir, 'leaf.pem'), leaf.pem);
    writeFileSync(join(dir, 'leaf.key'), leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const s = server(dir, { agent_path_template: 'cn/{{ .Subject.CommonName }}' });
    await expect(run(s, agent(dir))).rejects.toMatchObject({
      message:
        'x509pop: agent_path_template produced "cn/bad name", which is not a valid SPIFFE ID path; ' +
        'check the template and the node certificate',
    });
  });
});

describe('x509pop plugin_data', () => {
  it.each([
    [{}, 'x509pop: ca_bundle_path or ca_bundle_paths is required in external_pki mode'],
    [
      { ca_bundle_path: 'a', mode: 'spiffe' },
      'x509pop: mode "spiffe" is not supported; spire-ts supports mode = "external_pki" (verify node certificates against ca_bundle_path)',
    ],
    [{ ca_bundle_paths: 'a' }, 'x509pop: ca_bundle_paths must be a list of file paths'],
    [
      { ca_bundle_path: 'a', agent_path_template: '{{ .Issuer }}' },
      'x509pop: agent_path_template uses .Issuer; supported fields are .PluginName, .Fingerprint, .TrustDomain, .Subject.CommonName, .SerialNumberHex',
    ],
    [
      { ca_bundle_path: 'a', agent_path_template: '{{ if .X }}' },
      'x509pop: agent_path_template may only contain plain field references such as {{ .Fingerprint }}',
    ],
    [
      { ca_bundle_path: 'a', trust_bundle: 'b' },
      'x509pop: unknown plugin_data key "trust_bundle"; known keys are mode, svid_prefix, ca_bundle_path, ca_bundle_paths, agent_path_template',
    ],
  ])('%j is refused', (data, message) => {
    expect(() => parseX509PopConfig(data)).toThrow(message);
  });

  it('agent side requires private_key_path and certificate_path', () => {
    expect(() => parseAgentX509PopConfig({ certificate_path: 'c' })).toThrow(
      'x509pop: private_key_path is required and must be a file path',
    );
  });
});
