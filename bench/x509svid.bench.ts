// X509Svid.verify throughput for a leaf-only chain and a leaf + intermediate chain, beside the
// raw P-256 / SHA-256 signature verification rate of node:crypto measured in the same process.
// Run: npm run bench -- x509
import { sign, verify } from 'node:crypto';
import { TrustDomain, X509Bundle, X509Svid } from '../packages/spiffe/src/index.js';
import { createCa, createIntermediate, createLeaf } from '../packages/spiffe/test/support/certs.js';
import { measureRate, printRates } from './support/measure.js';

const td = TrustDomain.fromString('example.org');
const root = createCa({ commonName: 'Bench Root CA' });
const inter = createIntermediate(root, { commonName: 'Bench Intermediate CA' });
const leafOnly = createLeaf(root);
const leafUnderInter = createLeaf(inter);
const bundle = new X509Bundle(td, [root.cert]);
const at = new Date();

const message = leafOnly.der.subarray(0, 300);
const signature = sign('sha256', message, root.privateKey);

const raw = await measureRate('crypto.verify P-256 SHA-256 (baseline)', () =>
  verify('sha256', message, root.publicKey, signature),
);
const single = await measureRate('X509Svid.verify leaf only (1 signature)', () =>
  X509Svid.verify([leafOnly.cert], bundle, { at }),
);
const double = await measureRate('X509Svid.verify leaf + intermediate (2 signatures)', () =>
  X509Svid.verify([leafUnderInter.cert, inter.cert], bundle, { at }),
);
const fromDer = await measureRate('X509Svid.verify leaf + intermediate from DER', () =>
  X509Svid.verify(Buffer.concat([leafUnderInter.der, inter.der]), bundle, { at }),
);

printRates([raw, single, double, fromDer]);
console.log(
  `per-signature cost vs raw: leaf only ${(raw.opsPerSec / single.opsPerSec).toFixed(2)}x, ` +
    `leaf + intermediate ${((2 * raw.opsPerSec) / double.opsPerSec / 2).toFixed(2)}x per signature ` +
    `(ideal 1.00x; a 2-signature chain ideally runs at ratio 0.500)`,
);
