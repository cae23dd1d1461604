import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  agentBanCommand,
  agentCountCommand,
  agentEvictCommand,
  agentListCommand,
  agentShowCommand,
} from '../../src/cli/server/agent/verbs.js';
import { entryCreateCommand } from '../../src/cli/server/entry/create.js';
import { entryShowCommand } from '../../src/cli/server/entry/show.js';
import { tokenGenerateCommand } from '../../src/cli/server/token/generate.js';
import type { CliIo } from '../../src/common/cli/command.js';
import { Agent } from '../../src/gen/spire/api/server/agent/v1/agent_pb.js';
import { Entry } from '../../src/gen/spire/api/server/entry/v1/entry_pb.js';
import { createAgentService } from '../../src/server/api/agent/service.js';
import { createEntryService } from '../../src/server/api/entry/service.js';
import { type ServerHarness, startServerHarness } from '../support/server-harness.js';

let h: ServerHarness;
beforeEach(async () => {
  h = await startServerHarness({
    services: (ctx) => [
      [Agent, createAgentService(ctx)],
      [Entry, createEntryService(ctx)],
    ],
  });
});
afterEach(() => h.close());

async function run(
  cmd: { run(a: readonly string[], io: CliIo): Promise<number> },
  ...args: string[]
) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: () => undefined,
    cwd: h.dir,
  };
  const code = await cmd.run([...args, '-socketPath', h.socketPath], io);
  return { code, stdout, stderr };
}

const utc = (s: number) =>
  `${new Date(s * 1000).toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;

describe('spire-server token generate', () => {
  it('prints the token and warns when no SPIFFE ID is given', async () => {
    const out = await run(tokenGenerateCommand, '-ttl', '60');
    expect(out.code).toBe(0);
    const token = /^Token: ([0-9a-f-]{36})\n/.exec(out.stdout)?.[1] ?? '';
    expect(out.stdout).toBe(`Token: ${token}\nWarning: Missing SPIFFE ID.\n`);
    const stored = await h.datastore.fetchJoinToken(token);
    expect((stored?.expiresAt ?? 0) - Math.floor(Date.now() / 1000)).toBeGreaterThanOrEqual(59);
  });

  it('creates the alias entry with -spiffeID, prints JSON with -output json', async () => {
    const out = await run(
      tokenGenerateCommand,
      '-spiffeID',
      'spiffe://example.org/myagent',
      '-output',
      'json',
    );
    const json = JSON.parse(out.stdout);
    // Go's encoding/json re-encodes SPIRE's protojson with sorted keys.
    expect(Object.keys(json)).toEqual(['expires_at', 'value']);
    const { items } = await h.datastore.listEntries({ bySpiffeId: 'spiffe://example.org/myagent' });
    expect(items.map((e) => e.parentId)).toEqual([
      `spiffe://example.org/spire/agent/join_token/${json.value}`,
    ]);
  });

  it('prints the server refusal as Go does, exit 1', async () => {
    const out = await run(tokenGenerateCommand, '-ttl', '0');
    expect(out).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error: rpc error: code = InvalidArgument desc = ttl is required, you must provide one\n',
    });
  });
});

describe('spire-server agent list/show/count/ban/evict (bug-cases-2 D12, D13)', () => {
  it('lists, shows and counts agents in SPIRE text form', async () => {
    expect((await run(agentListCommand)).stdout).toBe('No attested agents found\n');
    const { node } = await h.attestedAgent('/spire/agent/x509pop/n1', {
      selectors: [{ type: 'x509pop', value: 'subject:cn:n1' }],
      node: { attestationDataType: 'x509pop', canReattest: true, agentVersion: '1.2.3' },
    });
    const serial = BigInt(`0x${node.certSerialNumber}`).toString(10);
    const block =
      'SPIFFE ID         : spiffe://example.org/spire/agent/x509pop/n1\n' +
      'Attestation type  : x509pop\n' +
      `Expiration time   : ${utc(node.certNotAfter)}\n` +
      `Serial number     : ${serial}\n` +
      'Can re-attest     : true\n' +
      'Agent version     : 1.2.3\n\n';
    expect((await run(agentListCommand)).stdout).toBe(`Found 1 attested agent:\n\n${block}`);
    expect(
      (await run(agentShowCommand, '-spiffeID', 'spiffe://example.org/spire/agent/x509pop/n1'))
        .stdout,
    ).toBe(
      `Found an attested agent given its SPIFFE ID\n\n${block}Selectors         : x509pop:subject:cn:n1\n`,
    );
    await h.attestedAgent('/spire/agent/join_token/t');
    expect((await run(agentCountCommand)).stdout).toBe('2 attested agents\n');
    expect((await run(agentCountCommand, '-canReattest', 'true')).stdout).toBe(
      '1 attested agent\n',
    );
    expect((await run(agentListCommand, '-attestationType', 'join_token')).stdout).toMatch(
      /^Found 1 attested agent:\n\nSPIFFE ID {9}: spiffe:\/\/example.org\/spire\/agent\/join_token\/t\n/,
    );
  });

  it('bans (shown as Banned : true) and evicts', async () => {
    await h.attestedAgent('/spire/agent/join_token/b');
    const id = 'spiffe://example.org/spire/agent/join_token/b';
    expect(await run(agentBanCommand, '-spiffeID', id)).toEqual({
      code: 0,
      stdout: 'Agent banned successfully\n',
      stderr: '',
    });
    expect((await run(agentListCommand, '-banned', 'true')).stdout).toContain(
      'Banned            : true\nCan re-attest     : false\n',
    );
    expect(await run(agentEvictCommand, '-spiffeID', id)).toEqual({
      code: 0,
      stdout: 'Agent evicted successfully\n',
      stderr: '',
    });
    expect(await run(agentShowCommand, '-spiffeID', id)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: rpc error: code = NotFound desc = agent not found\n',
    });
  });

  it('requires -spiffeID, and checks -expiresBefore and -output', async () => {
    expect(await run(agentShowCommand)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: a SPIFFE ID is required\n',
    });
    const bad = await run(agentListCommand, '-expiresBefore', 'tomorrow');
    expect(bad.stderr).toBe(
      'Error: date is not valid: "tomorrow" does not match "2006-01-02 15:04:05 -0700 -07"\n',
    );
    const json = await run(agentListCommand, '-output', 'json');
    expect(JSON.parse(json.stdout)).toEqual({ agents: [], next_page_token: '' });
  });
});

describe('join-token alias entry and agent evict (bug-cases-2 D11)', () => {
  it('token generate -spiffeID makes the alias entry; evict removes it and nothing else', async () => {
    const token = /^Token: (\S+)\n/.exec(
      (await run(tokenGenerateCommand, '-spiffeID', 'spiffe://example.org/myagent')).stdout,
    )?.[1];
    const agentId = `spiffe://example.org/spire/agent/join_token/${token}`;
    await h.attestedAgent(`/spire/agent/join_token/${token}`);
    const workload = await run(
      entryCreateCommand,
      '-parentID',
      'spiffe://example.org/myagent',
      '-spiffeID',
      'spiffe://example.org/myservice',
      '-selector',
      'unix:uid:1000',
    );
    expect(workload.code).toBe(0);

    const alias = await run(entryShowCommand, '-parentID', agentId);
    expect(alias.stdout).toMatch(/^Found 1 entry\n/);
    expect(alias.stdout).toContain(
      'SPIFFE ID               : spiffe://example.org/myagent\n' +
        `Parent ID               : ${agentId}\n`,
    );
    expect(alias.stdout).toContain(`Selector                : spiffe_id:${agentId}\n`);

    expect((await run(agentEvictCommand, '-spiffeID', agentId)).code).toBe(0);
    expect((await run(entryShowCommand, '-parentID', agentId)).stdout).toBe('Found 0 entries\n');
    const kept = await run(entryShowCommand, '-parentID', 'spiffe://example.org/myagent');
    expect(kept.stdout).toMatch(/^Found 1 entry\n/);
  });
});
