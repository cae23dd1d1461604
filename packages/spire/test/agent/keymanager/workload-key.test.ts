import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildWorkloadCsr } from '../../../src/agent/keymanager/csr.js';
import {
  AGENT_KEY_TYPES,
  type AgentKeyManagerError,
  AgentKeyManagerErrorCode,
  type AgentKeyType,
  newWorkloadKey,
} from '../../../src/agent/plugin/keymanager/index.js';
import { csrPublicKey } from '../runtime/fake-ca.js';

const DETAILS: Record<AgentKeyType, { type: string; detail: Record<string, unknown> }> = {
  'ec-p256': { type: 'ec', detail: { namedCurve: 'prime256v1' } },
  'ec-p384': { type: 'ec', detail: { namedCurve: 'secp384r1' } },
  'rsa-2048': { type: 'rsa', detail: { modulusLength: 2048, publicExponent: 65537n } },
};

describe('workload keys as DER (no KeyObject per minted SVID)', () => {
  it.each(AGENT_KEY_TYPES)(
    'generates a %s key whose SPKI is the PKCS#8 key’s public half',
    async (type) => {
      const key = await newWorkloadKey(type);
      expect(key.type).toBe(type);
      const privateKey = createPrivateKey({ key: key.pkcs8, format: 'der', type: 'pkcs8' });
      expect(privateKey.asymmetricKeyType).toBe(DETAILS[type].type);
      expect(privateKey.asymmetricKeyDetails).toEqual(DETAILS[type].detail);
      const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
      expect(key.spki.equals(spki)).toBe(true);
    },
  );

  it('generates a new key on each call', async () => {
    const [a, b] = await Promise.all([newWorkloadKey('ec-p256'), newWorkloadKey('ec-p256')]);
    expect(a?.pkcs8.equals(b?.pkcs8 as Buffer)).toBe(false);
  });

  it('refuses a key type it does not know, naming the types it takes', async () => {
    const err = (await newWorkloadKey('ec-p521' as AgentKeyType).catch((e) => e)) as
      | AgentKeyManagerError
      | undefined;
    expect(err?.code).toBe(AgentKeyManagerErrorCode.InvalidArgument);
    expect(err?.message).toBe('key type "ec-p521" is not one of ec-p256, ec-p384, rsa-2048');
  });

  it.each(AGENT_KEY_TYPES)(
    'signs a %s CSR that verifies and carries exactly the SPKI (RFC 2986 §4)',
    async (type) => {
      const key = await newWorkloadKey(type);
      const csr = buildWorkloadCsr(key);
      // csrPublicKey checks the request's self-signature before returning its key.
      const carried = (await csrPublicKey(csr)).export({ format: 'der', type: 'spki' });
      expect(carried.equals(key.spki)).toBe(true);
    },
  );
});
