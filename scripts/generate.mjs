// Regenerates the TypeScript code for each package's .proto files with buf and
// @bufbuild/protoc-gen-es (both from node_modules). The output in src/gen is committed.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'node_modules', '.bin');
const packages = ['spiffe', 'spire'];

for (const name of packages) {
  const dir = join(root, 'packages', name);
  if (!existsSync(join(dir, 'buf.gen.yaml')) || !hasProtoFiles(join(dir, 'proto'))) continue;

  console.log(`generate: packages/${name}`);
  execFileSync(join(bin, 'buf'), ['generate'], {
    cwd: dir,
    stdio: 'inherit',
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
  });
}

/** True when the folder holds at least one .proto file, at any depth. */
function hasProtoFiles(dir) {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.proto'));
}
