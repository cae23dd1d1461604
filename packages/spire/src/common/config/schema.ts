import { z } from 'zod';
import { parseGoDuration } from './duration.js';
import { ConfigError, ConfigErrorCode } from './errors.js';
import { isHclObject } from './hcl.js';

// Building blocks for configuration schemas. HCL v1 decodes every block as a list of objects,
// and Go's decoder converts between strings and numbers where the target type asks for it; these
// helpers reproduce that so SPIRE's files load unchanged, and attach our own error codes.

/** A block such as `server { ... }`: one object, unknown keys refused (bug-cases C35). */
export function block<T extends z.ZodRawShape>(shape: T) {
  return z.preprocess(unwrapBlock, z.strictObject(shape));
}

/** A block whose keys are free-form names (`federates_with "td" { ... }`), each a `value`. */
export function namedBlocks<T extends z.ZodType>(value: T) {
  return z.preprocess(unwrapBlock, z.record(z.string(), z.preprocess(unwrapBlock, value)));
}

function unwrapBlock(v: unknown, ctx: z.RefinementCtx): unknown {
  if (!Array.isArray(v) || !v.every(isHclObject)) return v;
  if (v.length === 1) return v[0];
  ctx.addIssue({
    code: 'custom',
    message: `block is given ${v.length} times; write it once with all its options`,
    params: { code: ConfigErrorCode.InvalidValue },
  });
  return z.NEVER;
}

/** A string option. Go's decoder turns a number into its decimal text. */
export const str = () => z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string());

/** An integer option; a string of decimal digits is read as the number, as Go's decoder does. */
export const int = () =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^[+-]?\d+$/.test(v) ? Number(v) : v),
    z.number().int(),
  );

/** A TCP port, 0 to 65535, given as a number or a string of digits. */
export const port = () => int().pipe(z.number().min(0).max(65535));

/** A boolean option: `true` or `false` (not a string). */
export const bool = () => z.boolean();

/** A list of strings. */
export const strList = () => z.array(z.string());

/** One of a closed set of strings, compared without regard to ASCII case when `fold` is set. */
export function oneOf<const V extends readonly [string, ...string[]]>(values: V, fold = false) {
  return z.string().transform((s, ctx) => {
    const hit = values.find((v) => (fold ? v.toLowerCase() === s.toLowerCase() : v === s));
    if (hit !== undefined) return hit as V[number];
    ctx.addIssue({
      code: 'custom',
      message: `must be one of ${values.map((v) => `"${v}"`).join(', ')}, got "${s}"`,
      params: { code: ConfigErrorCode.InvalidValue },
    });
    return z.NEVER;
  });
}

/** A non-negative Go duration string (`"1h30m"`, `"90s"`), parsed once into milliseconds. */
export const durationMs = () =>
  z.string().transform((s, ctx) => {
    try {
      const ms = parseGoDuration(s);
      if (ms >= 0) return ms;
      ctx.addIssue({
        code: 'custom',
        message: `duration "${s}" is negative; give a duration of zero or more`,
        params: { code: ConfigErrorCode.BadDuration },
      });
    } catch (err) {
      const message = err instanceof ConfigError ? err.message : String(err);
      ctx.addIssue({ code: 'custom', message, params: { code: ConfigErrorCode.BadDuration } });
    }
    return z.NEVER;
  });

/** Any HCL value, kept as decoded (for sections other components validate themselves). */
export const raw = () => z.unknown();
