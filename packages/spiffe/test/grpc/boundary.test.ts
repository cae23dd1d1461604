import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// @grpc/grpc-js is an optional peer dependency: only the ./grpc subpath may load it, so the
// package root works where it is not installed.
const src = fileURLToPath(new URL('../../src/', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('grpc-js stays behind @spire-ts/spiffe/grpc', () => {
  it('no module outside src/grpc imports @grpc/grpc-js or src/grpc', () => {
    const offenders = sources(src)
      .filter((f) => !relative(src, f).startsWith('grpc/'))
      .filter((f) =>
        /from '(@grpc\/grpc-js|\.\.?\/(\.\.\/)*grpc\/[^']*)'/.test(readFileSync(f, 'utf8')),
      )
      .map((f) => relative(src, f));

    expect(offenders).toEqual([]);
  });

  it('package.json exports ./grpc and declares grpc-js an optional peer', () => {
    expect(pkg.exports['./grpc']).toEqual({
      types: './dist/grpc/index.d.ts',
      default: './dist/grpc/index.js',
    });
    expect(pkg.peerDependencies['@grpc/grpc-js']).toBe('^1.14.0');
    expect(pkg.peerDependenciesMeta['@grpc/grpc-js']).toEqual({ optional: true });
    expect(pkg.dependencies['@grpc/grpc-js']).toBeUndefined();
  });
});
