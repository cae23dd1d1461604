// Runs every benchmark in bench/ (files named *.bench.ts), one child process each so that one
// benchmark's heap and JIT state do not colour the next. `npm run bench -- x509` runs only the
// files whose name contains "x509".
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2] ?? '';
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts') && f.includes(filter))
  .sort();

if (files.length === 0) {
  console.error(`no benchmark matches "${filter}" in bench/`);
  process.exit(1);
}

// Benchmarks import the packages by name, which resolves to their compiled dist/: build first so
// that a stale build is never what gets measured (tsc -b is quick when nothing changed).
const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.error('build failed: fix it before benchmarking');
  process.exit(1);
}

let failed = 0;
for (const file of files) {
  console.log(`\n## ${file}`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', `${dir}${file}`], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
