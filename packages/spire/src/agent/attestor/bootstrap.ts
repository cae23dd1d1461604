import type { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SpiffeBundle, type TrustDomain, X509Bundle } from '@spire-ts/spiffe';
import type { AgentBootstrap } from '../config/index.js';
import { AgentAttestorError, AgentAttestorErrorCode } from './errors.js';

/** Largest bootstrap bundle document read (a bundle is a few kilobytes). */
const MAX_BUNDLE_BYTES = 1 << 20;
const URL_TIMEOUT_MS = 30_000;

/**
 * The X.509 authorities the agent trusts the server with before it has a bundle of its own: read
 * from `trust_bundle_path` or downloaded from `trust_bundle_url`, in `pem` or `spiffe` format;
 * undefined for `insecure_bootstrap`. Only called when `data_dir` holds no bundle (D26).
 */
export async function loadBootstrapBundle(
  bootstrap: AgentBootstrap,
  td: TrustDomain,
): Promise<X509Certificate[] | undefined> {
  switch (bootstrap.kind) {
    case 'insecure':
      return undefined;
    case 'path':
      return parseBootstrap(
        await readBundleFile(bootstrap.path),
        bootstrap.format,
        td,
        bootstrap.path,
      );
    case 'url':
      return parseBootstrap(
        await download(bootstrap.url, bootstrap.unix_socket),
        bootstrap.format,
        td,
        bootstrap.url,
      );
    default:
      throw bootstrapError(`trust bundle source ${bootstrap.kind} is not supported by this agent`);
  }
}

/**
 * Parses a bootstrap bundle (D10): PEM text around the blocks is allowed, but there must be at
 * least one CERTIFICATE block and no block of another type; a SPIFFE bundle must hold at least
 * one X.509 authority.
 */
export function parseBootstrap(
  data: Buffer,
  format: 'pem' | 'spiffe',
  td: TrustDomain,
  source: string,
): X509Certificate[] {
  let authorities: readonly X509Certificate[];
  try {
    authorities =
      format === 'pem'
        ? X509Bundle.fromPem(td, data).x509Authorities()
        : SpiffeBundle.parse(td, data).x509Authorities();
  } catch (err) {
    throw bootstrapError(`failed to parse trust bundle ${source} as ${format}`, err);
  }
  if (authorities.length === 0) {
    throw bootstrapError(`trust bundle ${source} holds no certificate: at least one is required`);
  }
  return [...authorities];
}

async function readBundleFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw bootstrapError(`failed to read trust bundle ${path}`, err);
  }
}

/** GETs the bundle over https (or http through `trust_bundle_unix_socket`). */
function download(url: string, socketPath: string | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) =>
      reject(bootstrapError(`failed to download trust bundle from ${url}`, err));
    const target = new URL(url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(
      target,
      { timeout: URL_TIMEOUT_MS, ...(socketPath && { socketPath }) },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          fail(new Error(`http status ${res.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BUNDLE_BYTES) req.destroy(new Error('bundle larger than 1 MiB'));
          else chunks.push(chunk);
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', fail);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', fail);
    req.end();
  });
}

function bootstrapError(message: string, cause?: unknown): AgentAttestorError {
  return new AgentAttestorError(AgentAttestorErrorCode.Bootstrap, message, { cause });
}
