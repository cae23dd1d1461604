// CPU per minted SVID on the agent side, for the two calls the issue 4 memory work changed:
//   - the check of each SVID the server returns: X509Svid.parse(chain, PKCS#8) (baseline, which
//     makes an X509Certificate and KeyObjects) beside checkX509SvidDer(chain, SPKI) (DER only);
//   - the CSR signature with the PKCS#8 DER key: one-shot crypto.sign (what the agent uses; a
//     native job object holding the decoded key until GC) beside createSign().update().sign()
//     (key freed within the call), tried and not kept: same CPU, and the agent-memory bench
//     showed no RSS difference beyond run-to-run noise (docs/agent.md, Memory).
// An EC P-256 leaf and its intermediate CA, as the agent's sync receives them. Each pair is
// measured alternately, ROUNDS (default 3) times, in the same process.
// Run: npm run bench -- agent-mint-check
import { createSign, generateKeyPairSync, sign } from 'node:crypto';
import { checkX509SvidDer, X509Svid } from '../packages/spiffe/src/index.js';
import { createCa, createIntermediate, createLeaf } from '../packages/spiffe/test/support/certs.js';
import { measureRate, type Rate } from './support/measure.js';

const rounds = Number(process.env['ROUNDS'] ?? 3);
const root = createCa({ commonName: 'Bench Root CA' });
const inter = createIntermediate(root, { commonName: 'Bench Intermediate CA' });
const leaf = createLeaf(inter);
const chain = [leaf.der, inter.der];
const pkcs8 = leaf.privateKey.export({ format: 'der', type: 'pkcs8' });
const spki = leaf.publicKey.export({ format: 'der', type: 'spki' });

const csrKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const derKey = {
  key: csrKey.export({ format: 'der', type: 'pkcs8' }),
  format: 'der',
  type: 'pkcs8',
} as const;
const info = leaf.der.subarray(0, 180); // about a workload CSR's CertificationRequestInfo

const pairs: [string, () => unknown, string, () => unknown][] = [
  [
    'X509Svid.parse(chain, pkcs8) (baseline)',
    () => X509Svid.parse(chain, pkcs8),
    'checkX509SvidDer(chain, spki)',
    () => checkX509SvidDer(chain, spki),
  ],
  [
    'crypto.sign, PKCS#8 DER key (baseline)',
    () => sign('sha256', info, derKey),
    'createSign().update().sign(), same key',
    () => createSign('sha256').update(info).sign(derKey),
  ],
];

const us = (r: Rate) => (1e6 / r.opsPerSec).toFixed(0).padStart(5);
for (const [baseName, base, newName, next] of pairs) {
  const results: [Rate, Rate][] = [];
  for (let i = 0; i < rounds; i++) {
    results.push([await measureRate(baseName, base, 1.5), await measureRate(newName, next, 1.5)]);
  }
  console.log(`${baseName.padEnd(44)} ${results.map(([b]) => us(b)).join(' /')} µs per call`);
  console.log(`${newName.padEnd(44)} ${results.map(([, n]) => us(n)).join(' /')} µs per call`);
}
