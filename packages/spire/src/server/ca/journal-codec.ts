import { isKeyType } from '../plugin/keymanager/keys.js';
import { CaError, type JwtAuthority, type Slot, type X509Authority } from './authority.js';

/** A published authority kept in the bundle until it expires. */
export interface BundleX509Entry {
  readonly der: Buffer;
  readonly notAfterMs: number;
}

/** A published JWT key kept in the bundle until it expires. */
export interface BundleJwtEntry {
  readonly kid: string;
  readonly publicKey: Buffer;
  readonly notAfterMs: number;
}

/** Everything the CA manager persists: public data only, keys stay in the KeyManager. */
export interface CaJournal {
  x509: X509Authority[];
  jwt: JwtAuthority[];
  bundleX509: BundleX509Entry[];
  bundleJwt: BundleJwtEntry[];
}

const b64 = (b: Buffer) => b.toString('base64');
const unb64 = (s: unknown) => {
  if (typeof s !== 'string') throw new TypeError('expected base64 text');
  return Buffer.from(s, 'base64');
};

/** Encodes the journal as JSON bytes (version 1). */
export function encodeJournal(j: CaJournal): Uint8Array {
  const doc = {
    version: 1,
    x509: j.x509.map((a) => ({
      ...a,
      chain: a.chain.map(b64),
      upstreamRoots: a.upstreamRoots.map(b64),
      subjectKeyId: b64(a.subjectKeyId),
    })),
    jwt: j.jwt.map((a) => ({ ...a, publicKey: b64(a.publicKey) })),
    bundleX509: j.bundleX509.map((e) => ({ der: b64(e.der), notAfterMs: e.notAfterMs })),
    bundleJwt: j.bundleJwt.map((e) => ({ ...e, publicKey: b64(e.publicKey) })),
  };
  return Buffer.from(JSON.stringify(doc));
}

type Raw = Record<string, unknown>;

/**
 * Decodes a journal written by {@link encodeJournal}; anything malformed is ERR_CA_BAD_JOURNAL,
 * naming `source` (where the bytes came from).
 */
export function decodeJournal(bytes: Uint8Array, source = 'the journal'): CaJournal {
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as Raw;
    if (doc.version !== 1) throw new TypeError(`unsupported version ${String(doc.version)}`);
    return {
      x509: list(doc.x509).map(decodeX509),
      jwt: list(doc.jwt).map(decodeJwt),
      bundleX509: list(doc.bundleX509).map((e) => ({
        der: unb64(e.der),
        notAfterMs: num(e.notAfterMs),
      })),
      bundleJwt: list(doc.bundleJwt).map((e) => ({
        kid: str(e.kid),
        publicKey: unb64(e.publicKey),
        notAfterMs: num(e.notAfterMs),
      })),
    };
  } catch (err) {
    throw new CaError(
      'ERR_CA_BAD_JOURNAL',
      `ca journal in ${source} is malformed (${(err as Error).message}); remove it to start a new ca`,
      { cause: err },
    );
  }
}

function decodeX509(r: Raw): X509Authority {
  return {
    ...common(r),
    chain: list(r.chain).map(unb64),
    upstreamRoots: list(r.upstreamRoots).map(unb64),
    subjectKeyId: unb64(r.subjectKeyId),
  };
}

function decodeJwt(r: Raw): JwtAuthority {
  return { ...common(r), kid: str(r.kid), publicKey: unb64(r.publicKey) };
}

function common(r: Raw) {
  const slot: Slot | undefined = r.slot === 'A' || r.slot === 'B' ? r.slot : undefined;
  const status = ['prepared', 'active', 'old'].includes(r.status as string) ? r.status : undefined;
  if (!slot || !status || !isKeyType(r.keyType)) throw new TypeError('bad authority');
  return {
    slot,
    status: status as X509Authority['status'],
    keyId: str(r.keyId),
    keyType: r.keyType,
    notBeforeMs: num(r.notBeforeMs),
    notAfterMs: num(r.notAfterMs),
  };
}

function list(v: unknown): Raw[] {
  if (!Array.isArray(v)) throw new TypeError('expected a list');
  return v as Raw[];
}

function str(v: unknown): string {
  if (typeof v !== 'string') throw new TypeError('expected a string');
  return v;
}

function num(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError('expected a number');
  return v;
}
