import { readFileSync } from 'node:fs';
import { JwtSvid, JwtSvidError, JwtSvidErrorCode, SpiffeError } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { AT, claims, K1, testBundles } from './keys.js';
import { craft, segment } from './support.js';

const DOC = readFileSync(new URL('../../../docs/jwtsvid.md', import.meta.url), 'utf8');

function thrown(fn: () => unknown): JwtSvidError {
  try {
    fn();
  } catch (err) {
    if (err instanceof JwtSvidError) return err;
    throw err;
  }
  throw new Error('expected a JwtSvidError');
}

describe('JwtSvidError', () => {
  it.each(Object.values(JwtSvidErrorCode))('%s is documented in docs/jwtsvid.md', (code) => {
    expect(DOC).toContain(`\`${code}\``);
  });

  it('is a SpiffeError with its code, name and a lower-case message without a trailing period', () => {
    const err = thrown(() => JwtSvid.parseInsecure('a.b', ['svc-a']));
    expect(err).toBeInstanceOf(SpiffeError);
    expect([err.code, err.name]).toEqual(['ERR_JWTSVID_MALFORMED', 'JwtSvidError']);
    expect(err.message).toMatch(/^[a-z][^A-Z]*[^.]$/);
  });

  it('quotes and cuts token-supplied text so it cannot forge log lines', () => {
    const kid = `evil\nERR fake line ${'x'.repeat(100)}`;
    const token = craft({ alg: 'ES256', kid }, claims(), K1.privateKey);
    const err = thrown(() => JwtSvid.parseAndValidate(token, testBundles(), ['svc-a'], { at: AT }));
    expect(err.code).toBe('ERR_JWTSVID_UNKNOWN_KID');
    expect(err.message).not.toContain('\n');
    expect(err.message).toContain(JSON.stringify(`${kid.slice(0, 64)}...`));
  });

  it('keeps the SpiffeIdError of an invalid sub as its cause', () => {
    const token = `${segment({ alg: 'ES256' })}.${segment(claims({ sub: 'spiffe://a/../b' }))}.AA`;
    const err = thrown(() => JwtSvid.parseInsecure(token, ['svc-a'], { at: AT }));
    expect(err.code).toBe('ERR_JWTSVID_INVALID_SUB');
    expect((err.cause as SpiffeError).code).toMatch(/^ERR_SPIFFEID_/);
  });
});
