import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  calculateResponse,
  marshalAttestationData,
  marshalResponse,
  parseChallenge,
} from '../../../../common/plugin/x509pop/protocol.js';
import { rejectUnknownKeys } from '../../../../server/plugin/nodeattestor/node-attestor.js';
import type { AgentNodeAttestor } from '../node-attestor.js';

/** plugin_data of the agent's `NodeAttestor "x509pop"`, as SPIRE names it. */
export interface AgentX509PopConfig {
  readonly privateKeyPath: string;
  readonly certificatePath: string;
  readonly intermediatesPath?: string;
}

/** Validates raw plugin_data, naming any missing or unknown key. */
export function parseAgentX509PopConfig(data: Record<string, unknown>): AgentX509PopConfig {
  rejectUnknownKeys('x509pop', data, [
    'private_key_path',
    'certificate_path',
    'intermediates_path',
  ]);
  const str = (key: string, required: boolean): string | undefined => {
    const v = data[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v === '') {
      throw new Error(`x509pop: ${key} is required and must be a file path`);
    }
    return v;
  };
  const intermediatesPath = str('intermediates_path', false);
  return {
    privateKeyPath: str('private_key_path', true) as string,
    certificatePath: str('certificate_path', true) as string,
    ...(intermediatesPath !== undefined && { intermediatesPath }),
  };
}

/**
 * `NodeAttestor "x509pop"` on the agent: sends the node's certificate chain (leaf first, then the
 * certificates of `intermediates_path`, or those after the leaf in `certificate_path`) and proves
 * possession of the private key by signing the server's nonce.
 */
export class AgentX509PopAttestor implements AgentNodeAttestor {
  readonly name = 'x509pop';
  readonly #config: AgentX509PopConfig;
  #key: KeyObject | undefined;

  constructor(config: AgentX509PopConfig) {
    this.#config = config;
  }

  async payload(): Promise<Uint8Array> {
    const certs = await readCertificates(this.#config.certificatePath);
    if (certs.length === 0) {
      throw new Error(`x509pop: no certificate in ${this.#config.certificatePath}`);
    }
    if (this.#config.intermediatesPath) {
      certs.push(...(await readCertificates(this.#config.intermediatesPath)));
    }
    const key = await this.#privateKey();
    if (!(certs[0] as X509Certificate).checkPrivateKey(key)) {
      throw new Error(
        `x509pop: the key in ${this.#config.privateKeyPath} does not match the certificate in ` +
          this.#config.certificatePath,
      );
    }
    return marshalAttestationData({ certificates: certs.map((c) => c.raw) });
  }

  async respond(challenge: Uint8Array): Promise<Uint8Array> {
    const response = calculateResponse(await this.#privateKey(), parseChallenge(challenge));
    return marshalResponse(response);
  }

  async #privateKey(): Promise<KeyObject> {
    if (!this.#key) {
      const pem = await readFile(this.#config.privateKeyPath);
      try {
        this.#key = createPrivateKey(pem);
      } catch (cause) {
        throw new Error(
          `x509pop: failed to parse the private key in ${this.#config.privateKeyPath}`,
          {
            cause,
          },
        );
      }
    }
    return this.#key;
  }
}

async function readCertificates(path: string): Promise<X509Certificate[]> {
  const text = await readFile(path, 'utf8');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    return blocks.map((b) => new X509Certificate(b));
  } catch (cause) {
    throw new Error(`x509pop: failed to parse a certificate in ${path}`, { cause });
  }
}
