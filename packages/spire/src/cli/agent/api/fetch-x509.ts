import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { X509SVIDResponseSchema } from '@spire-ts/spiffe/workload-proto';
import type { Command } from '../../../common/cli/command.js';
import { apiCommand, callOptions, firstOf } from './command.js';
import { formatX509Response, goElapsed } from './format.js';
import { OUTPUT_FLAG, protoJson } from './output.js';
import { type ParsedSvid, parseX509Response } from './x509-response.js';

const SYNOPSIS = 'Fetches X509 SVIDs from the Workload API';

const FLAGS = [
  { name: 'silent', kind: 'bool', usage: 'Suppress stdout' },
  {
    name: 'write',
    kind: 'string',
    usage:
      'Write SVID data to the specified path (optional; only available for pretty output format)',
  },
] as const;

function fetchX509(name: string): Command {
  return apiCommand(
    name,
    SYNOPSIS,
    FLAGS,
    async ({ flags, conn, io, output }) => {
      const dir = String(flags['write']);
      // Checked before asking the agent, so a typo costs no call (JSON output ignores -write).
      if (dir !== '' && output !== 'json') checkWriteDir(resolve(io.cwd, dir));
      const started = process.hrtime.bigint();
      const resp = await firstOf((signal) => conn.api.fetchX509SVID({}, callOptions(conn, signal)));
      const elapsed = goElapsed(process.hrtime.bigint() - started);
      // As SPIRE: JSON is the response as received (no parsing, -silent and -write ignored).
      if (output === 'json') {
        io.stdout.write(protoJson([[X509SVIDResponseSchema, resp]]));
        return;
      }

      const svids = parseX509Response(resp);
      if (!flags['silent']) io.stdout.write(formatX509Response(svids, elapsed));
      if (dir !== '') writeSvids(resolve(io.cwd, dir), svids, io.stdout);
    },
    [OUTPUT_FLAG],
  );
}

/**
 * `spire-agent api fetch x509` (and its alias `api fetch`): the caller's X509-SVIDs, printed as
 * SPIRE prints them; `-write DIR` also writes `svid.N.pem` (leaf first), `svid.N.key` (PKCS#8,
 * 0600), `bundle.N.pem` and `federated_bundle.N.M.pem` (bug-cases-2 D32).
 */
export const apiFetchX509Command: Command = fetchX509('api fetch x509');

/** `spire-agent api fetch`: the same as `api fetch x509`. */
export const apiFetchCommand: Command = fetchX509('api fetch');

function writeSvids(dir: string, svids: readonly ParsedSvid[], out: { write(s: string): unknown }) {
  svids.forEach((svid, i) => {
    const files = {
      svid: join(dir, `svid.${i}.pem`),
      key: join(dir, `svid.${i}.key`),
      bundle: join(dir, `bundle.${i}.pem`),
    };
    out.write(`Writing SVID #${i} to file ${files.svid}.\n`);
    writePublic(files.svid, pemCerts(svid.certificates));
    out.write(`Writing key #${i} to file ${files.key}.\n`);
    writePrivate(files.key, pem('PRIVATE KEY', svid.keyDer));
    out.write(`Writing bundle #${i} to file ${files.bundle}.\n`);
    writePublic(files.bundle, pemCerts(svid.bundle));
    [...svid.federated].forEach(([td, certs], j) => {
      const path = join(dir, `federated_bundle.${i}.${j}.pem`);
      out.write(`Writing federated bundle #${j} for trust domain ${td} to file ${path}.\n`);
      writePublic(path, pemCerts(certs));
    });
  });
}

function pemCerts(certs: readonly { raw: Buffer }[]): string {
  return certs.map((cert) => pem('CERTIFICATE', cert.raw)).join('');
}

function pem(label: string, der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

// Certificates are public (0644); the key only for its owner (0600), as SPIRE's diskutil writes.
function writePublic(path: string, text: string) {
  writeWithMode(path, text, 0o644);
}

function writePrivate(path: string, text: string) {
  writeWithMode(path, text, 0o600);
}

/** `-write DIR` must name an existing folder: SPIRE writes into it and creates nothing. */
function checkWriteDir(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new Error(`-write: folder ${dir} does not exist; create it first (mkdir -p ${dir})`);
  }
  if (!isDir) throw new Error(`-write: ${dir} is not a folder; give the folder to write into`);
}

// The mode option applies only to new files: set it again for one left by an earlier run.
function writeWithMode(path: string, text: string, mode: number) {
  try {
    writeFileSync(path, text, { mode });
    chmodSync(path, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied; choose a folder this user can write to'
        : err instanceof Error
          ? err.message
          : String(err);
    throw new Error(`failed to write ${path}: ${why}`, { cause: err });
  }
}
