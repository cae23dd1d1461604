/**
 * Native functions of the C library, bound through koffi on first use: the agent's peer
 * credentials and pidfds (peercred/libc.ts) and its release of freed memory (memory/release.ts).
 */
import koffi from 'koffi';

/**
 * A binding made by `bind` on first use and kept; `null`, for good, when `bind` throws (the
 * platform, the C library or the kernel lacks it), so that callers fall back without retrying.
 */
export function optionalBinding<T>(bind: () => T): () => T | null {
  let bound: T | null | undefined;
  return () => {
    if (bound === undefined) {
      try {
        bound = bind();
      } catch {
        bound = null;
      }
    }
    return bound;
  };
}

/** glibc (`libc.so.6`), loaded once; `null` elsewhere (not Linux, or musl). */
export const glibc = optionalBinding(() => {
  if (process.platform !== 'linux') throw new Error(`no glibc on ${process.platform}`);
  return koffi.load('libc.so.6');
});

/** {@link glibc}, for a binding function: throws where there is none. */
export function requireGlibc(): ReturnType<typeof koffi.load> {
  const lib = glibc();
  if (!lib) throw new Error('glibc (libc.so.6) is not loaded in this process');
  return lib;
}
