// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the inputs are configuration text with ${VAR} references
import { describe, expect, it } from 'vitest';
import { expandEnv } from '../../../src/common/config/expand-env.js';

const env: Record<string, string> = { TD: 'example.org', DATA: '/tmp/d', '1': 'one' };
const lookup = (name: string) => env[name];

describe('expandEnv (Go os.Expand, bug-cases-2 D18)', () => {
  it.each([
    ['trust_domain = "${TD}"', 'trust_domain = "example.org"'],
    ['organization = ["$TD"]', 'organization = ["example.org"]'],
    ['cn = "cost$$center"', 'cn = "cost$center"'],
    ['pw = "pa$word"', 'pw = "pa"'],
    ['price = "100$ flat"', 'price = "100$ flat"'],
    ['end$', 'end$'],
    ['"${DATA}/x"', '"/tmp/d/x"'],
    ['"$1x"', '"onex"'],
    ['"${}"', '""'],
    ['"${TD"', '"TD"'],
    ['"${UNSET}"', '""'],
    ['{{ $foo := 1 }}', '{{  := 1 }}'],
    ['no dollar here', 'no dollar here'],
  ])('expands %j to %j', (input, expected) => {
    expect(expandEnv(input, lookup)).toBe(expected);
  });
});
