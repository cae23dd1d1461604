import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Folder of the SPIFFE test vectors copied from `../shared/vectors` (see scripts/sync-vectors.sh). */
export const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url));

/** Reads and parses one vector file, e.g. `spiffeid.json` or `fixtures/manifest.json`. */
export function readVectorJson<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, `file://${VECTORS_DIR}`), 'utf8')) as T;
}

/** Reads one vector file's raw bytes, e.g. `fixtures/X509-01/leaf.pem`. */
export function readVectorFile(name: string): Buffer {
  return readFileSync(new URL(name, `file://${VECTORS_DIR}`));
}
