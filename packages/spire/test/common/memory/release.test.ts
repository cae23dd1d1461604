import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const source = fileURLToPath(new URL('../../../src/common/memory/release.ts', import.meta.url));
// glibc only: musl and other platforms have no malloc_trim, and the functions are no-ops there.
const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
const glibc = process.platform === 'linux' && Boolean(report.header?.glibcVersionRuntime);
if (!glibc) console.log('skipping malloc_trim tests: the C library is not glibc');

/**
 * Runs `body` in a child with --expose-gc after it made 60 MB of C-heap garbage with holes: of
 * 200,000 backing stores of 300 B every 16th is kept, so glibc cannot give the freed ones back by
 * shrinking the top of its heap. `body` sees `bufs` (the garbage, still referenced), `collect()`
 * and `m` (the module) and prints a JSON result.
 */
function child(body: string): Record<string, number | boolean> {
  const script = `
    const m = await import(${JSON.stringify(source)});
    let bufs = [];
    const keep = [];
    for (let i = 0; i < 200000; i++) {
      const b = Buffer.allocUnsafeSlow(300);
      (i % 16 === 0 ? keep : bufs).push(b);
    }
    // Backing stores are freed by V8's sweeper after the GC; give it a moment.
    const collect = async () => {
      for (let i = 0; i < 3; i++) {
        globalThis.gc();
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    ${body}
    if (keep.length !== 12500) throw new Error('lost the kept buffers');
  `;
  const run = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script],
    { encoding: 'utf8' },
  );
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as Record<string, number | boolean>;
}

describe.skipIf(!glibc)('releaseFreedMemory (glibc malloc_trim)', () => {
  it('gives freed C-heap pages back to the kernel: RSS drops by more than 20 MB of 56 MB freed', () => {
    const out = child(`
      bufs = null;
      await collect();
      const before = process.memoryUsage().rss;
      const released = m.releaseFreedMemory();
      process.stdout.write(JSON.stringify({ released, dropMb: (before - process.memoryUsage().rss) / 1e6 }));
    `);
    expect(out['released']).toBe(true);
    expect(out['dropMb']).toBeGreaterThan(20);
  });
});

describe.skipIf(!glibc)('releaseAfterBurst', () => {
  it('gives back what the next full GC frees, without another call: 20 MB more than no release', () => {
    // Armed while the garbage is still referenced, as at the end of a sync.
    const measure = (arm: string) =>
      child(`
        const peak = process.memoryUsage().rss;
        ${arm}
        bufs = null;
        await collect();
        await new Promise((r) => setTimeout(r, 300));
        process.stdout.write(JSON.stringify({ dropMb: (peak - process.memoryUsage().rss) / 1e6 }));
      `)['dropMb'] as number;
    const without = measure('');
    const armed = measure('m.releaseAfterBurst();');
    expect(armed - without).toBeGreaterThan(20);
  });
});
