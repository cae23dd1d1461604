import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { SpiffeError } from '@spire-ts/spiffe';

/** Key types the agent generates, spelled as SPIRE's `workload_x509_svid_key_type` spells them. */
export const AGENT_KEY_TYPES = ['ec-p256', 'ec-p384', 'rsa-2048'] as const;

/** One of {@link AGENT_KEY_TYPES}. */
export type AgentKeyType = (typeof AGENT_KEY_TYPES)[number];

/** Stable codes of the agent key managers. */
export const AgentKeyManagerErrorCode = {
  /** plugin_data is missing a setting or has one it does not know. */
  InvalidConfig: 'ERR_AGENT_KEYMANAGER_INVALID_CONFIG',
  /** The key file could not be read, parsed or written. */
  Storage: 'ERR_AGENT_KEYMANAGER_STORAGE',
  /** A key id or key type the plugin does not accept. */
  InvalidArgument: 'ERR_AGENT_KEYMANAGER_INVALID_ARGUMENT',
} as const;

/** One of the stable agent key manager error codes. */
export type AgentKeyManagerErrorCode =
  (typeof AgentKeyManagerErrorCode)[keyof typeof AgentKeyManagerErrorCode];

/** A failure of an agent KeyManager plugin, with an `ERR_AGENT_KEYMANAGER_*` code. */
export class AgentKeyManagerError extends SpiffeError {
  declare readonly code: AgentKeyManagerErrorCode;

  constructor(code: AgentKeyManagerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * The agent's KeyManager plugin type: holds the private key of the agent SVID under a key id.
 * The agent process needs the key object itself to present its SVID over TLS (node's TLS stack
 * takes a key, not a signing callback), so unlike the server's KeyManager this one hands the
 * private key to its owner; it never leaves the agent process.
 */
export interface AgentKeyManager {
  /** The plugin name, as configured (`disk`, `memory`). */
  readonly name: string;
  /** True when keys survive an agent restart (a restart may then reuse the stored agent SVID). */
  readonly persistent: boolean;
  /** Generates a key of `type` and stores it under `id`, replacing any key there. */
  generateKey(id: string, type: AgentKeyType): Promise<KeyObject>;
  /** The private key stored under `id`, or undefined. */
  getKey(id: string): Promise<KeyObject | undefined>;
}

const generate = promisify(generateKeyPair);

/** Generates a fresh private key of `type` (ECDSA P-256/P-384 or RSA 2048). */
export async function newPrivateKey(type: AgentKeyType): Promise<KeyObject> {
  switch (type) {
    case 'ec-p256':
      return (await generate('ec', { namedCurve: 'P-256' })).privateKey;
    case 'ec-p384':
      return (await generate('ec', { namedCurve: 'P-384' })).privateKey;
    case 'rsa-2048':
      return (await generate('rsa', { modulusLength: 2048 })).privateKey;
    default:
      throw new AgentKeyManagerError(
        AgentKeyManagerErrorCode.InvalidArgument,
        `key type ${JSON.stringify(type)} is not one of ${AGENT_KEY_TYPES.join(', ')}`,
      );
  }
}

/**
 * A workload SVID key as DER only: the PKCS#8 private key and its SPKI public key, straight from
 * key generation. No KeyObject wraps it, so minting many SVIDs leaves no native OpenSSL key
 * objects behind to wait for a full GC (issue 4: RSS of a first large sync).
 */
export interface WorkloadKey {
  readonly type: AgentKeyType;
  readonly pkcs8: Buffer;
  readonly spki: Buffer;
}

/** Generates a fresh workload key of `type` as DER (see {@link WorkloadKey}). */
export function newWorkloadKey(type: AgentKeyType): Promise<WorkloadKey> {
  const publicKeyEncoding = { type: 'spki', format: 'der' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'der' } as const;
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, spki: Buffer, pkcs8: Buffer) =>
      err ? reject(err) : resolve({ type, pkcs8, spki });
    switch (type) {
      case 'ec-p256':
      case 'ec-p384': {
        const namedCurve = type === 'ec-p256' ? 'P-256' : 'P-384';
        generateKeyPair('ec', { namedCurve, publicKeyEncoding, privateKeyEncoding }, done);
        return;
      }
      case 'rsa-2048':
        generateKeyPair(
          'rsa',
          { modulusLength: 2048, publicKeyEncoding, privateKeyEncoding },
          done,
        );
        return;
      default:
        reject(
          new AgentKeyManagerError(
            AgentKeyManagerErrorCode.InvalidArgument,
            `key type ${JSON.stringify(type)} is not one of ${AGENT_KEY_TYPES.join(', ')}`,
          ),
        );
    }
  });
}

/** Refuses empty key ids, which would make every key collide. */
export function checkKeyId(id: string): void {
  if (typeof id !== 'string' || id === '') {
    throw new AgentKeyManagerError(
      AgentKeyManagerErrorCode.InvalidArgument,
      'key id must be a non-empty string',
    );
  }
}
