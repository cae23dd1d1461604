import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiffeId, TrustDomain } from '@spire-ts/spiffe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/common/clock/index.js';
import {
  type CaBundle,
  CaManager,
  type CaManagerOptions,
  MemoryCaJournalStore,
} from '../../../src/server/ca/index.js';
import { CredentialBuilder } from '../../../src/server/credtemplate/index.js';
import {
  DiskKeyManager,
  type KeyManager,
  MemoryKeyManager,
} from '../../../src/server/plugin/keymanager/index.js';
import { opensslVerify } from '../credtemplate/helpers.js';

const T0 = Date.UTC(2030, 0, 1);
const H = 3_600_000;
const td = TrustDomain.fromString('example.org');
const web = SpiffeId.fromPath(td, '/web');
const leafKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ca-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function setup(
  opts: Partial<CaManagerOptions> & { clock?: FakeClock; keyManager?: KeyManager } = {},
) {
  const clock = opts.clock ?? new FakeClock(T0);
  const builder = new CredentialBuilder({ trustDomain: td, clock, caTtlMs: 24 * H });
  const keyManager = opts.keyManager ?? new MemoryKeyManager();
  const journal = opts.journal ?? new MemoryCaJournalStore();
  const manager = new CaManager({ builder, keyManager, journal, ...opts });
  const bundles: CaBundle[] = [];
  manager.on('bundle', (b) => bundles.push(b));
  const advanceTo = async (ms: number) => {
    clock.set(ms);
    await manager.rotate();
  };
  return { clock, manager, bundles, advanceTo, keyManager, journal };
}

const serialOf = (der: Buffer | undefined) => (der ? new X509Certificate(der).serialNumber : '');

describe('CaManager rotation timeline (reference §3.7)', () => {
  it('prepares at 1/2, activates at 5/6, keeps the old authority until it expires', async () => {
    const { manager, bundles, advanceTo } = setup();
    await manager.start();
    const a = manager.activeX509();
    const ja = manager.activeJwt();
    expect([a?.slot, a?.keyId, ja?.keyId]).toEqual(['A', 'x509-CA-A', 'JWT-Signer-A']);
    expect([a?.notBeforeMs, a?.notAfterMs]).toEqual([T0 - 10_000, T0 + 24 * H]);
    expect(manager.bundle().x509Authorities).toEqual([a?.chain[0]]);
    expect(manager.bundle().jwtAuthorities.map((k) => k.kid)).toEqual([ja?.kid]);
    expect(bundles).toHaveLength(1);

    await advanceTo(T0 + 12 * H - 10_000);
    expect(manager.preparedX509()).toBeUndefined();
    expect(manager.preparedJwt()).toBeUndefined();

    await advanceTo(T0 + 12 * H);
    const b = manager.preparedX509();
    const jb = manager.preparedJwt();
    expect([b?.slot, jb?.slot, manager.activeX509()]).toEqual(['B', 'B', a]);
    // Preparing publishes the next CA at once, so it reaches agents before it signs anything.
    expect(manager.bundle().x509Authorities.map(serialOf)).toEqual(
      [a, b].map((x) => serialOf(x?.chain[0])),
    );
    expect(manager.bundle().jwtAuthorities.map((k) => k.kid)).toEqual([ja?.kid, jb?.kid]);
    expect(bundles).toHaveLength(2);

    await advanceTo(T0 + 20 * H - 10_000);
    expect(manager.activeX509()?.chain[0]).toEqual(a?.chain[0]);
    await advanceTo(T0 + 20 * H);
    expect([manager.activeX509()?.chain, manager.activeJwt()?.kid]).toEqual([b?.chain, jb?.kid]);
    const all = manager.authorities();
    expect(all.x509.map((x) => [x.slot, x.status, serialOf(x.chain[0])])).toEqual([
      ['B', 'active', serialOf(b?.chain[0])],
      ['A', 'old', serialOf(a?.chain[0])],
    ]);
    expect(all.jwt.map((x) => [x.slot, x.status, x.kid])).toEqual([
      ['B', 'active', jb?.kid],
      ['A', 'old', ja?.kid],
    ]);
    expect(manager.bundle().x509Authorities).toHaveLength(2);
    expect(bundles).toHaveLength(2);

    await advanceTo(T0 + 24 * H + 10_000);
    const c = manager.preparedX509();
    expect(c?.slot).toBe('A');
    const serials = manager.bundle().x509Authorities.map(serialOf);
    expect(serials).toEqual([b, c].map((x) => serialOf(x?.chain[0])));
    expect(manager.bundle().jwtAuthorities.map((k) => k.kid)).not.toContain(ja?.kid);
    manager.stop();
  });

  it('rotates on its own 10 s timer once started', async () => {
    const { manager, clock } = setup();
    await manager.start();
    clock.set(T0 + 12 * H + 10_000);
    await manager.rotate();
    expect(manager.preparedX509()?.slot).toBe('B');
    manager.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('keeps leaves of the old CA verifiable with the bundle until the old CA expires', async () => {
    const { manager, advanceTo } = setup();
    await manager.start();
    const old = await manager.signWorkloadX509Svid({ spiffeId: web, publicKey: leafKey() });
    await advanceTo(T0 + 12 * H);
    await advanceTo(T0 + 20 * H);
    const fresh = await manager.signWorkloadX509Svid({ spiffeId: web, publicKey: leafKey() });
    const roots = [...manager.bundle().x509Authorities];
    const at = T0 + 20 * H + 60_000;
    expect(opensslVerify(roots, [], fresh.der, at).trim()).toMatch(/: OK$/);
    expect(opensslVerify(roots, [], old.der, old.notAfterMs - 1000).trim()).toMatch(/: OK$/);
    expect(fresh.certChain).toEqual([fresh.der]);
  });
});

describe('CaManager SVID lifetimes', () => {
  it('caps X.509 and JWT SVID lifetimes at the issuing authority expiry (C28)', async () => {
    const { manager, clock } = setup();
    await manager.start();
    clock.set(T0 + 19 * H);
    const x = await manager.signWorkloadX509Svid({
      spiffeId: web,
      publicKey: leafKey(),
      ttlMs: 6 * H,
    });
    expect(x.notAfterMs).toBe(T0 + 24 * H);
    const jwt = await manager.signWorkloadJwtSvid({ spiffeId: web, audience: ['a'], ttlMs: 6 * H });
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString());
    expect(claims.exp).toBe((T0 + 24 * H) / 1000);
  });

  it('signs the server SVID and agent SVIDs with the active CA', async () => {
    const { manager } = setup();
    await manager.start();
    const server = await manager.signServerX509Svid(leafKey());
    expect(new X509Certificate(server.der).subjectAltName).toBe(
      'URI:spiffe://example.org/spire/server',
    );
    const agentId = SpiffeId.fromPath(td, '/spire/agent/join_token/t1');
    const agent = await manager.signAgentX509Svid({ spiffeId: agentId, publicKey: leafKey() });
    expect(
      new X509Certificate(agent.der).checkIssued(
        new X509Certificate(manager.activeX509()?.chain[0] ?? Buffer.alloc(0)),
      ),
    ).toBe(true);
  });
});

describe('CaManager persistence', () => {
  it('keeps the active authorities across a restart with the disk KeyManager', async () => {
    const keysPath = join(dir, 'keys.json');
    const journal = new MemoryCaJournalStore();
    const first = setup({
      keyManager: await DiskKeyManager.open({ keys_path: keysPath }),
      journal,
    });
    await first.manager.start();
    first.manager.stop();
    const before = [first.manager.activeX509()?.chain[0], first.manager.activeJwt()?.kid];

    const clock = new FakeClock(T0 + H);
    const keyManager = await DiskKeyManager.open({ keys_path: keysPath });
    const second = setup({ clock, keyManager, journal });
    await second.manager.start();
    expect([second.manager.activeX509()?.chain[0], second.manager.activeJwt()?.kid]).toEqual(
      before,
    );
    const svid = await second.manager.signWorkloadX509Svid({ spiffeId: web, publicKey: leafKey() });
    const roots = [...second.manager.bundle().x509Authorities];
    expect(opensslVerify(roots, [], svid.der, T0 + H).trim()).toMatch(/: OK$/);
    expect(second.bundles).toHaveLength(0);
    second.manager.stop();
  });

  it('starts a new CA when the journal survives but the keys did not (memory KeyManager)', async () => {
    const journal = new MemoryCaJournalStore();
    const first = setup({ journal });
    await first.manager.start();
    const oldCert = first.manager.activeX509()?.chain[0];
    const second = setup({ journal, clock: new FakeClock(T0 + H) });
    await second.manager.start();
    const newCert = second.manager.activeX509()?.chain[0];
    expect(newCert?.equals(oldCert ?? Buffer.alloc(0))).toBe(false);
    // The old root stays published until it expires: SVIDs it signed are still out there.
    expect(second.manager.bundle().x509Authorities).toEqual([oldCert, newCert]);
  });

  it('refuses a corrupt journal with a clear error', async () => {
    const journal = new MemoryCaJournalStore();
    await journal.save(Buffer.from('{"version":1,"x509":[{"slot":"C"}]}'));
    const { manager } = setup({ journal });
    await expect(manager.start()).rejects.toMatchObject({
      code: 'ERR_CA_BAD_JOURNAL',
      message: 'ca journal in memory is malformed (bad authority); remove it to start a new ca',
    });
  });
});

describe('CaManager refusals', () => {
  it.each([
    [
      'an X.509-SVID before start',
      (m: CaManager) => m.signWorkloadX509Svid({ spiffeId: web, publicKey: leafKey() }),
      'ERR_CA_NO_X509_AUTHORITY',
    ],
    [
      'a JWT-SVID before start',
      (m: CaManager) => m.signWorkloadJwtSvid({ spiffeId: web, audience: ['a'] }),
      'ERR_CA_NO_JWT_AUTHORITY',
    ],
  ])('refuses %s', async (_what, act, code) => {
    const { manager } = setup();
    await expect((async () => act(manager))()).rejects.toMatchObject({ code });
  });

  it('has no JWT keys when disable_jwt_svids is set', async () => {
    const { manager } = setup({ disableJwtSvids: true });
    await manager.start();
    expect(manager.bundle().jwtAuthorities).toEqual([]);
    await expect(
      (async () => manager.signWorkloadJwtSvid({ spiffeId: web, audience: ['a'] }))(),
    ).rejects.toMatchObject({
      code: 'ERR_CA_NO_JWT_AUTHORITY',
    });
    manager.stop();
  });

  it.each([['ec-p384' as const], ['rsa-2048' as const]])(
    'honours ca_key_type %s',
    async (caKeyType) => {
      const { manager } = setup({ caKeyType });
      await manager.start();
      expect([manager.activeX509()?.keyType, manager.activeJwt()?.keyType]).toEqual([
        caKeyType,
        caKeyType,
      ]);
      manager.stop();
    },
  );
});
