// JWT-SVID validation rate against the raw signature check it cannot avoid. For ES256 and RS256,
// in the same run: crypto.verify over the token's own signing input and signature (the floor),
// then JwtSvid.parseAndValidate of the same token (split, strict base64url, JSON, alg/typ/header
// rules, SPIFFE ID parse, bundle lookup by kid, verify, aud/exp/nbf), parseInsecure (all of that
// but the signature) and sign. Ratios are to the floor.
// Run: npm run bench -- jwtsvid
import { constants, generateKeyPairSync, type KeyObject, verify } from 'node:crypto';
import { JwtBundle, JwtSvid, SpiffeId, TrustDomain } from '../packages/spiffe/src/index.js';
import { measureRate, printRates, type Rate } from './support/measure.js';

const TD = TrustDomain.fromString('example.org');
const ID = SpiffeId.fromString('spiffe://example.org/ns/prod/sa/frontend');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = 3;

interface Case {
  alg: 'ES256' | 'RS256';
  keys: { publicKey: KeyObject; privateKey: KeyObject };
  verifyOptions: (key: KeyObject) => Parameters<typeof verify>[2];
}

const CASES: Case[] = [
  {
    alg: 'ES256',
    keys: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    verifyOptions: (key) => ({ key, dsaEncoding: 'ieee-p1363' }),
  },
  {
    alg: 'RS256',
    keys: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    verifyOptions: (key) => ({ key, padding: constants.RSA_PKCS1_PADDING }),
  },
];

async function benchOne({ alg, keys, verifyOptions }: Case): Promise<void> {
  const bundle = new JwtBundle(TD, new Map([['k1', keys.publicKey]]));
  const expiresAt = new Date(Date.now() + 3_600_000);
  const { token } = JwtSvid.sign({
    id: ID,
    audience: ['svc-a'],
    expiresAt,
    key: keys.privateKey,
    kid: 'k1',
    alg,
  });

  const dot = token.lastIndexOf('.');
  const input = Buffer.from(token.slice(0, dot), 'ascii');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  const options = verifyOptions(keys.publicKey);

  const variants: Array<[string, () => void]> = [
    [
      `${alg} crypto.verify (floor)`,
      () => {
        if (!verify('sha256', input, options, signature)) throw new Error('raw verify failed');
      },
    ],
    [
      `${alg} JwtSvid.parseAndValidate`,
      () => {
        JwtSvid.parseAndValidate(token, bundle, ['svc-a']);
      },
    ],
    [
      `${alg} JwtSvid.parseInsecure (no crypto)`,
      () => {
        JwtSvid.parseInsecure(token, ['svc-a']);
      },
    ],
    [
      `${alg} JwtSvid.sign`,
      () => {
        JwtSvid.sign({
          id: ID,
          audience: ['svc-a'],
          expiresAt,
          key: keys.privateKey,
          kid: 'k1',
          alg,
        });
      },
    ],
  ];
  const rates = await bestOf(variants);
  printRates(rates);
  const [raw, full] = rates as [Rate, Rate];
  const overheadUs = (1 / full.opsPerSec - 1 / raw.opsPerSec) * 1e6;
  console.log(
    `${alg} parseAndValidate / crypto.verify = ${(full.opsPerSec / raw.opsPerSec).toFixed(3)}; ` +
      `overhead ${overheadUs.toFixed(1)} µs per token`,
  );
}

/**
 * Measures the variants in interleaved rounds and keeps each one's best round, so that a burst of
 * load from other processes on a shared machine colours one round, not the comparison.
 */
async function bestOf(variants: Array<[string, () => void]>): Promise<Rate[]> {
  const best = new Map<string, Rate>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of variants) {
      const r = await measureRate(name, fn, SECONDS / ROUNDS);
      if ((best.get(name)?.opsPerSec ?? 0) < r.opsPerSec) best.set(name, r);
    }
  }
  return variants.map(([name]) => best.get(name) as Rate);
}

console.log(
  `node ${process.version}, best of ${ROUNDS} interleaved rounds of ${SECONDS / ROUNDS} s, one thread`,
);
for (const c of CASES) await benchOne(c);
