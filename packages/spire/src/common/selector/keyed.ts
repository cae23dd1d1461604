import { SelectorErrorCode as Code, SelectorError } from './errors.js';
import type { Selector } from './selector.js';

/**
 * Splits a keyed selector value at its first `:`: for the SVIDStore selector
 * `aws_secretsmanager:arn:arn:aws:secretsmanager:us-east-1:111122223333:secret:x` the value
 * `arn:arn:aws:...` gives key `arn` and value `arn:aws:...` whole (C34). A value without `:`, or
 * with an empty key or value, is a {@link SelectorError}, never an out-of-range read.
 */
export function splitKeyedValue(selector: Selector): { key: string; value: string } {
  const colon = selector.value.indexOf(':');
  const key = colon === -1 ? '' : selector.value.slice(0, colon);
  const value = colon === -1 ? '' : selector.value.slice(colon + 1);
  if (key === '' || value === '') {
    throw new SelectorError(
      Code.BadKeyedValue,
      `selector ${JSON.stringify(`${selector.type}:${selector.value}`)} must have a value ` +
        `formatted as key:value, e.g. ${selector.type}:name:secret1`,
    );
  }

  return { key, value };
}

/**
 * Collects the keyed values of the selectors of one type into a key -> value map (the
 * configuration an SVIDStore plugin reads from an entry). Other types are ignored; a repeated key
 * is a {@link SelectorError}.
 */
export function keyedSelectorValues(
  type: string,
  selectors: Iterable<Selector>,
): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const selector of selectors) {
    if (selector.type !== type) {
      continue;
    }

    const { key, value } = splitKeyedValue(selector);
    if (out.has(key)) {
      throw new SelectorError(
        Code.DuplicateKey,
        `selector key ${JSON.stringify(key)} is given twice for type ${JSON.stringify(type)}`,
      );
    }

    out.set(key, value);
  }

  return out;
}
