import {
  X509SvidErrorCode as Code,
  MAX_SIGNATURE_CHECKS,
  TrustDomain,
  X509Bundle,
  X509Svid,
} from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import {
  createCa,
  createIntermediate,
  createLeaf,
  generateKeys,
  type TestCert,
} from '../../support/certs.js';

const exampleOrg = TrustDomain.fromString('example.org');
const root = createCa({ commonName: 'Root CA' });
const inter = createIntermediate(root, { commonName: 'Intermediate CA' });
const decoyKeys = generateKeys();

/** `count` authorities named `commonName` over a key that signed nothing here. */
function decoys(count: number, commonName: string): TestCert[] {
  return Array.from({ length: count }, () => createCa({ commonName, keyPair: decoyKeys }));
}

function caught(fn: () => unknown): { code?: string; message?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  return {};
}

describe(`path building spends at most ${MAX_SIGNATURE_CHECKS} signature checks (as Go crypto/x509)`, () => {
  it('the limit is 100, as Go crypto/x509 has it', () => {
    expect(MAX_SIGNATURE_CHECKS).toBe(100);
  });

  const cases: [string, number, string | undefined][] = [
    ['500 same-name authorities before the real issuer are refused', 500, Code.PathBuildingLimit],
    [
      '100 same-name authorities before the real issuer are refused (101 checks)',
      100,
      Code.PathBuildingLimit,
    ],
    ['99 same-name authorities before the real issuer are accepted (100 checks)', 99, undefined],
  ];

  it.each(cases)('%s', (_name, count, code) => {
    const leaf = createLeaf(root);
    const bundle = new X509Bundle(
      exampleOrg,
      [...decoys(count, 'Root CA'), root].map((c) => c.cert),
    );
    expect(bundle.x509Authorities()).toHaveLength(count + 1);
    const err = caught(() => X509Svid.verify([leaf.cert], bundle));
    expect(err.code).toBe(code);
  });

  it('names the limit and the certificate whose issuer was sought', () => {
    const leaf = createLeaf(root);
    const bundle = new X509Bundle(
      exampleOrg,
      [...decoys(150, 'Root CA'), root].map((c) => c.cert),
    );
    expect(caught(() => X509Svid.verify([leaf.cert], bundle))).toMatchObject({
      code: Code.PathBuildingLimit,
      message:
        'path building stopped at the limit of 100 signature checks while looking for the ' +
        'issuer of leaf: too many certificates share its issuer name',
    });
  });

  it('counts the checks of every step of one path, not of each step alone', () => {
    const leaf = createLeaf(inter);
    // Step 1 (leaf): 60 failed checks, then the intermediate of the chain (61). Step 2
    // (intermediate 1): 45 failed checks, then the root would be the 107th.
    const authorities = [...decoys(60, 'Intermediate CA'), ...decoys(45, 'Root CA'), root];
    const bundle = new X509Bundle(
      exampleOrg,
      authorities.map((c) => c.cert),
    );
    expect(caught(() => X509Svid.verify([leaf.cert, inter.cert], bundle))).toMatchObject({
      code: Code.PathBuildingLimit,
      message: expect.stringContaining('looking for the issuer of intermediate 1'),
    });

    const fewer = [...decoys(30, 'Intermediate CA'), ...decoys(30, 'Root CA'), root];
    const accepted = X509Svid.verify(
      [leaf.cert, inter.cert],
      new X509Bundle(
        exampleOrg,
        fewer.map((c) => c.cert),
      ),
    );
    expect(accepted.verifiedChain).toEqual([leaf.cert, inter.cert, root.cert]);
  });
});
