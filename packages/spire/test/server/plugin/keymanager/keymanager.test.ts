import { createPrivateKey, generateKeyPairSync, verify } from 'node:crypto';
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INFINITY_P256_SEC1_PEM } from '../../../../../spiffe/test/support/infinity-key.js';
import {
  DiskKeyManager,
  type KeyManager,
  type KeyType,
  keyTypeOf,
  MemoryKeyManager,
} from '../../../../src/server/plugin/keymanager/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'km-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const managers: [string, () => Promise<KeyManager>][] = [
  ['memory', async () => new MemoryKeyManager()],
  ['disk', () => DiskKeyManager.open({ keys_path: join(dir, 'keys.json') })],
];

const keyCases: [KeyType, string, number | undefined][] = [
  ['ec-p256', 'prime256v1', undefined],
  ['ec-p384', 'secp384r1', undefined],
  ['rsa-2048', '', 2048],
];

describe.each(managers)('KeyManager %s', (name, make) => {
  it.each(keyCases)('generates a %s key and signs data it verifies', async (type, curve, bits) => {
    const km = await make();
    const info = await km.generateKey('x509-CA-A', type);
    expect(km.name).toBe(name);
    expect(info.type).toBe(type);
    const details = info.publicKey.asymmetricKeyDetails;
    if (bits) expect(details?.modulusLength).toBe(bits);
    else expect(details?.namedCurve).toBe(curve);
    const data = Buffer.from('to be signed');
    const sig = await km.sign('x509-CA-A', data, { hash: 'sha256' });
    expect(verify('sha256', data, info.publicKey, sig)).toBe(true);
    expect(await km.getPublicKey('x509-CA-A')).toEqual(info);
  });

  it('signs ECDSA in IEEE P1363 form for JWS when asked (64 bytes for P-256)', async () => {
    const km = await make();
    const info = await km.generateKey('JWT-Signer-A', 'ec-p256');
    const data = Buffer.from('header.payload');
    const sig = await km.sign('JWT-Signer-A', data, { hash: 'sha256', dsaEncoding: 'ieee-p1363' });
    expect(sig.length).toBe(64);
    const ok = verify('sha256', data, { key: info.publicKey, dsaEncoding: 'ieee-p1363' }, sig);
    expect(ok).toBe(true);
  });

  it('replaces the key when an id is generated again', async () => {
    const km = await make();
    const first = await km.generateKey('x509-CA-A', 'ec-p256');
    const second = await km.generateKey('x509-CA-A', 'ec-p256');
    expect(second.spki.equals(first.spki)).toBe(false);
    expect((await km.getPublicKeys()).map((k) => k.id)).toEqual(['x509-CA-A']);
  });

  it.each([
    [
      'an unknown key id',
      (km: KeyManager) => km.sign('nope', Buffer.alloc(1), { hash: 'sha256' }),
      'ERR_KEYMANAGER_KEY_NOT_FOUND',
    ],
    [
      'an unknown key type',
      (km: KeyManager) => km.generateKey('k', 'ec-p521' as KeyType),
      'ERR_KEYMANAGER_BAD_KEY_TYPE',
    ],
    [
      'an empty key id',
      (km: KeyManager) => km.generateKey('', 'ec-p256'),
      'ERR_KEYMANAGER_BAD_KEY_ID',
    ],
    [
      'a key id with a space',
      (km: KeyManager) => km.generateKey('a b', 'ec-p256'),
      'ERR_KEYMANAGER_BAD_KEY_ID',
    ],
  ])('rejects %s', async (_what, act, code) => {
    const km = await make();
    await expect(act(km)).rejects.toMatchObject({ code });
  });

  it('rejects a hash outside sha256/384/512', async () => {
    const km = await make();
    await km.generateKey('k', 'ec-p256');
    const bad = { hash: 'md5' as 'sha256' };
    await expect(km.sign('k', Buffer.alloc(1), bad)).rejects.toMatchObject({
      code: 'ERR_KEYMANAGER_BAD_HASH',
    });
  });

  it('returns undefined for a public key it does not hold', async () => {
    expect(await (await make()).getPublicKey('x509-CA-B')).toBeUndefined();
  });
});

describe('KeyManager disk', () => {
  it('writes the keys file with mode 0600 and leaves no temporary file', async () => {
    const path = join(dir, 'keys.json');
    const km = await DiskKeyManager.open({ keys_path: path });
    await km.generateKey('x509-CA-A', 'ec-p256');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['keys.json']);
  });

  it('keeps its keys across a restart', async () => {
    const path = join(dir, 'keys.json');
    const before = await DiskKeyManager.open({ keys_path: path });
    const a = await before.generateKey('x509-CA-A', 'ec-p384');
    const b = await before.generateKey('JWT-Signer-A', 'rsa-2048');
    const after = await DiskKeyManager.open({ keys_path: path });
    expect((await after.getPublicKey('x509-CA-A'))?.spki).toEqual(a.spki);
    expect((await after.getPublicKey('JWT-Signer-A'))?.type).toBe('rsa-2048');
    const data = Buffer.from('after restart');
    const sig = await after.sign('JWT-Signer-A', data, { hash: 'sha256' });
    expect(verify('sha256', data, b.publicKey, sig)).toBe(true);
  });

  it('tightens a keys file mode back to 0600 when it rewrites it', async () => {
    const path = join(dir, 'keys.json');
    await writeFile(path, '{"keys":{}}');
    await chmod(path, 0o644);
    const km = await DiskKeyManager.open({ keys_path: path });
    await km.generateKey('k', 'ec-p256');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  const ed25519 = generateKeyPairSync('ed25519')
    .privateKey.export({ type: 'pkcs8', format: 'der' })
    .toString('base64');
  it.each([
    ['not JSON', '{"keys":', 'it is not JSON'],
    ['without a keys object', '{"k":{}}', 'it has no "keys" object'],
    ['with a key that is not a string', '{"keys":{"a":1}}', 'key "a" is not a base64 string'],
    ['with a key that is not PKCS#8', '{"keys":{"a":"AAAA"}}', 'key "a" is not a PKCS#8'],
    [
      'with an unsupported key type',
      `{"keys":{"a":"${ed25519}"}}`,
      'key "a" is of an unsupported type',
    ],
  ])('refuses a keys file %s with a clear error', async (_what, content, message) => {
    const path = join(dir, 'keys.json');
    await writeFile(path, content);
    const err = await DiskKeyManager.open({ keys_path: path }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_KEYMANAGER_KEYS_FILE_CORRUPT' });
    expect((err as Error).message).toContain(`keys file ${path} is corrupt: ${message}`);
  });

  it.each([
    ['no keys_path', {}],
    ['an empty keys_path', { keys_path: '' }],
    ['an unknown key', { keys_path: '/x', key_path: '/y' }],
  ])('rejects plugin_data with %s', async (_what, data) => {
    await expect(DiskKeyManager.open(data)).rejects.toMatchObject({
      code: 'ERR_KEYMANAGER_BAD_CONFIG',
    });
  });

  it('reports a keys file in a missing directory as a write failure', async () => {
    const km = await DiskKeyManager.open({ keys_path: join(dir, 'missing', 'keys.json') });
    await expect(km.generateKey('k', 'ec-p256')).rejects.toMatchObject({
      code: 'ERR_KEYMANAGER_KEYS_FILE_WRITE',
    });
    expect(await km.getPublicKey('k')).toBeUndefined();
  });
});

describe('keyTypeOf', () => {
  it('gives no type to a key whose public point is the ec point at infinity (Node aborts on its curve)', () => {
    expect(keyTypeOf(createPrivateKey(INFINITY_P256_SEC1_PEM))).toBeUndefined();
    expect(keyTypeOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)).toBe(
      'ec-p256',
    );
  });
});
