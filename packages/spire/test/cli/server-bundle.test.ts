import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { withSubjectKey } from '../../../spiffe/test/support/infinity-key.js';
import {
  bundleCountCommand,
  bundleDeleteCommand,
  bundleListCommand,
  bundleSetCommand,
  bundleShowCommand,
} from '../../src/cli/server/bundle/verbs.js';
import { entryCreateCommand } from '../../src/cli/server/entry/create.js';
import { entryShowCommand } from '../../src/cli/server/entry/show.js';
import { Bundle } from '../../src/gen/spire/api/server/bundle/v1/bundle_pb.js';
import { Entry } from '../../src/gen/spire/api/server/entry/v1/entry_pb.js';
import { createBundleService } from '../../src/server/api/bundle/index.js';
import { createEntryService } from '../../src/server/api/entry/service.js';
import { makeCert, type TestCert } from '../support/pki.js';
import { type ServerHarness, startServerHarness } from '../support/server-harness.js';
import { runVerb } from './support/run-verb.js';

let h: ServerHarness;
let other: TestCert;
let otherPem: string;
beforeAll(async () => {
  other = await makeCert({ subject: 'CN=other', ca: true, uris: ['spiffe://other.org'] });
  // Go's encoding/pem form: 64-column lines, a newline after the END line.
  otherPem = `${other.cert.toString().trim()}\n`;
});
beforeEach(async () => {
  h = await startServerHarness({
    services: (ctx) => [
      [Bundle, createBundleService(ctx)],
      [Entry, createEntryService(ctx)],
    ],
  });
});
afterEach(() => h.close());

const BANNER = (td: string) => `${'*'.repeat(40)}\n* ${td}\n${'*'.repeat(40)}\n`;

async function setOther(...extra: string[]) {
  return runVerb(h, bundleSetCommand, ['-id', 'spiffe://other.org', ...extra], other.pem);
}

async function federatedEntry() {
  const out = await runVerb(h, entryCreateCommand, [
    '-entryID',
    'fed',
    '-parentID',
    'spiffe://example.org/myagent',
    '-spiffeID',
    'spiffe://example.org/myservice',
    '-selector',
    'unix:uid:1000',
    '-federatesWith',
    'spiffe://other.org',
  ]);
  expect(out.code).toBe(0);
}

describe('spire-server bundle show / count', () => {
  it('show prints the X.509 authorities as PEM, the same the server trusts', async () => {
    expect(await runVerb(h, bundleShowCommand, [])).toEqual({
      code: 0,
      stdout: h.bundlePem(),
      stderr: '',
    });
  });

  it('show -format spiffe prints the SPIFFE bundle document, indented, x509-svid keys with x5c', async () => {
    const out = await runVerb(h, bundleShowCommand, ['-format', 'SPIFFE']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^\{\n {4}"keys": \[\n/);
    const doc = JSON.parse(out.stdout);
    const x509 = doc.keys.filter((k: { use: string }) => k.use === 'x509-svid');
    expect(x509).toHaveLength(h.ctx.ca.bundle().x509Authorities.length);
    expect(doc.keys.some((k: { use: string; kid?: string }) => k.use === 'jwt-svid' && k.kid)).toBe(
      true,
    );
  });

  it('rejects an unknown -format', async () => {
    expect(await runVerb(h, bundleShowCommand, ['-format', 'der'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: invalid format: "der"\n',
    });
  });

  it('count prints "1 bundle", then "2 bundles"', async () => {
    expect((await runVerb(h, bundleCountCommand, [])).stdout).toBe('1 bundle\n');
    expect((await setOther()).stdout).toBe('bundle set.\n');
    expect((await runVerb(h, bundleCountCommand, [])).stdout).toBe('2 bundles\n');
  });
});

describe('spire-server bundle set / list (bug-cases-2 D10)', () => {
  it('set from stdin, then list prints it under its banner; list -id prints it alone', async () => {
    expect(await setOther()).toEqual({ code: 0, stdout: 'bundle set.\n', stderr: '' });
    expect(await runVerb(h, bundleListCommand, [])).toEqual({
      code: 0,
      stdout: `${BANNER('other.org')}${otherPem}`,
      stderr: '',
    });
    expect((await runVerb(h, bundleListCommand, ['-id', 'spiffe://other.org'])).stdout).toBe(
      otherPem,
    );
  });

  it('set -path reads the file; text around the PEM block is allowed', async () => {
    writeFileSync(join(h.dir, 'other.pem'), `# exported on Monday\n${other.pem}\n`);
    expect(
      (await runVerb(h, bundleSetCommand, ['-id', 'spiffe://other.org', '-path', 'other.pem']))
        .stdout,
    ).toBe('bundle set.\n');
  });

  it('set -format spiffe round-trips what list -format spiffe prints', async () => {
    await setOther();
    const doc = (
      await runVerb(h, bundleListCommand, ['-id', 'spiffe://other.org', '-format', 'spiffe'])
    ).stdout;
    const out = await runVerb(
      h,
      bundleSetCommand,
      ['-id', 'spiffe://third.org', '-format', 'spiffe'],
      doc,
    );
    expect(out).toEqual({ code: 0, stdout: 'bundle set.\n', stderr: '' });
    expect((await runVerb(h, bundleListCommand, ['-id', 'spiffe://third.org'])).stdout).toBe(
      otherPem,
    );
  });

  it.each([
    [[], 'PEM', 'Error: id flag is required\n'],
    [
      ['-id', 'spiffe://other.org'],
      '',
      'Error: unable to parse bundle data: no PEM blocks found\n',
    ],
    [
      ['-id', 'spiffe://other.org', '-path', 'nope.pem'],
      '',
      'Error: unable to load bundle data: open nope.pem: no such file or directory\n',
    ],
    [['-id', 'spiffe://other.org', '-format', 'x'], 'PEM', 'Error: invalid format: "x"\n'],
  ])('set %j refuses bad input', async (args, stdin, stderr) => {
    expect(await runVerb(h, bundleSetCommand, args, stdin)).toEqual({
      code: 1,
      stdout: '',
      stderr,
    });
  });

  it('set refuses a PEM input with a block that is not a certificate', async () => {
    const out = await setOther();
    expect(out.code).toBe(0);
    const bad = `${otherPem}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n`;
    const refused = await runVerb(h, bundleSetCommand, ['-id', 'spiffe://other.org'], bad);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error: unable to parse bundle data: .*PRIVATE KEY/);
  });

  it('set refuses a certificate whose public key is the ec point at infinity', async () => {
    const bad = withSubjectKey(other.cert, other.privateKey).toString();
    const refused = await runVerb(h, bundleSetCommand, ['-id', 'spiffe://other.org'], bad);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'Error: unable to parse bundle data: PEM block 0 public key is the ec point at infinity\n',
    );
    const spiffe = JSON.stringify({
      keys: [
        {
          use: 'x509-svid',
          kty: 'EC',
          x5c: [withSubjectKey(other.cert, other.privateKey).raw.toString('base64')],
        },
      ],
    });
    const refusedJson = await runVerb(
      h,
      bundleSetCommand,
      ['-id', 'spiffe://other.org', '-format', 'spiffe'],
      spiffe,
    );
    expect(refusedJson.code).toBe(1);
    expect(refusedJson.stderr).toBe(
      'Error: unable to parse to spiffe bundle: keys[0].x5c[0] public key is the ec point at infinity\n',
    );
  });

  it('list -id of an unknown trust domain is NotFound', async () => {
    const out = await runVerb(h, bundleListCommand, ['-id', 'spiffe://nope.org']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^Error: rpc error: code = NotFound desc = /);
  });
});

describe('spire-server bundle delete -mode (bug-cases-2 D09)', () => {
  it('restrict (the default) refuses while an entry federates with the bundle', async () => {
    await setOther();
    await federatedEntry();
    const out = await runVerb(h, bundleDeleteCommand, ['-id', 'spiffe://other.org']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      // D09 names it "other.org"; the server echoes the ID as sent (reported).
      /^Error: failed to delete federated bundle "(spiffe:\/\/)?other.org": .*cannot delete bundle; federated with 1 registration entries/,
    );
    expect((await runVerb(h, bundleCountCommand, [])).stdout).toBe('2 bundles\n');
  });

  it('dissociate deletes the bundle and removes it from the entry, which stays', async () => {
    await setOther();
    await federatedEntry();
    expect(
      await runVerb(h, bundleDeleteCommand, ['-id', 'spiffe://other.org', '-mode', 'dissociate']),
    ).toEqual({
      code: 0,
      stdout: 'bundle deleted.\n',
      stderr: '',
    });
    const shown = await runVerb(h, entryShowCommand, ['-entryID', 'fed']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toContain('FederatesWith');
  });

  it('delete deletes the bundle and the entries federated with it', async () => {
    await setOther();
    await federatedEntry();
    expect(
      (await runVerb(h, bundleDeleteCommand, ['-id', 'spiffe://other.org', '-mode', 'delete']))
        .stdout,
    ).toBe('bundle deleted.\n');
    expect(await h.datastore.fetchEntry('fed')).toBeUndefined();
  });

  it.each([
    [['-id', 'spiffe://other.org', '-mode', 'x'], 'Error: unsupported mode "x"\n'],
    [[], 'Error: id is required\n'],
  ])('refuses %j', async (args, stderr) => {
    expect(await runVerb(h, bundleDeleteCommand, args)).toEqual({ code: 1, stdout: '', stderr });
  });

  it("the server's own trust domain cannot be deleted", async () => {
    const out = await runVerb(h, bundleDeleteCommand, ['-id', 'spiffe://example.org']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      /^Error: failed to delete federated bundle.*removing the bundle for the server trust domain is not allowed/,
    );
  });
});
