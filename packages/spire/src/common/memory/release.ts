/**
 * Giving freed C-heap memory back to the kernel. Node's native side (ArrayBuffer backing stores,
 * OpenSSL objects) allocates with malloc; glibc keeps what is freed in its arenas for reuse and
 * returns only the top of the heap, so after a burst of work (an agent minting thousands of SVIDs)
 * the process stays resident at its high-water mark although the memory is free. glibc's
 * `malloc_trim(0)` releases every free page of every arena (madvise), at a cost of a few
 * milliseconds per 100 MB. Elsewhere (not Linux, or a C library without it, such as musl) this is
 * a no-op.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { optionalBinding, requireGlibc } from '../native/glibc.js';

type MallocTrim = (pad: number) => number;

/** glibc's malloc_trim, bound on first use; `null` where there is none (then never tried again). */
const bind = optionalBinding(
  () => requireGlibc().func('int malloc_trim(size_t pad)') as MallocTrim,
);

/**
 * Returns the C heap's free pages to the kernel (glibc `malloc_trim(0)`). Resolves nothing and
 * throws nothing; `true` when the C library released memory, `false` when it had none to release
 * or cannot (not glibc).
 */
export function releaseFreedMemory(): boolean {
  const trim = bind();
  return trim ? trim(0) === 1 : false;
}

/** Delay from a full collection to the release: V8 frees backing stores just after the GC. */
const AFTER_GC_MS = 100;

/** Armed by {@link releaseAfterBurst} until the next full GC. */
let watch: PerformanceObserver | undefined;

/**
 * For the end of a burst of work: releases what is free now, and once more shortly after V8's
 * next full (mark-compact) collection, which frees the burst's remaining garbage (V8 runs one
 * soon after a busy process goes idle). At most two releases per burst, so that serving traffic
 * afterwards does not pay for page faults again and again. The timer is unref'd.
 */
export function releaseAfterBurst(): void {
  releaseFreedMemory();
  if (watch || !bind()) return;
  const observer = new PerformanceObserver((list) => {
    const full = list
      .getEntries()
      .some(
        (e) =>
          ((e as { detail?: { kind?: number } }).detail?.kind ?? 0) &
          constants.NODE_PERFORMANCE_GC_MAJOR,
      );
    if (!full) return;
    observer.disconnect();
    watch = undefined;
    setTimeout(releaseFreedMemory, AFTER_GC_MS).unref();
  });
  watch = observer;
  observer.observe({ entryTypes: ['gc'] });
}
