/**
 * A test certificate factory: CAs, intermediates and SPIFFE leaves built field by field with
 * @peculiar/asn1-x509 and signed with node:crypto, with an option to break each X509-SVID and
 * RFC 5280 rule. Defaults follow X509-SVID exactly and also pass `openssl verify -x509_strict`.
 *
 * ```ts
 * const root = createCa();
 * const leaf = createLeaf(root, { uris: ['spiffe://example.org/api'] });
 * X509Svid.verify([leaf.cert], X509Bundle ..., { at: new Date() });
 * ```
 */
import {
  createHash,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  NameConstraints,
  OtherName,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
} from '@peculiar/asn1-x509';

/** Key algorithms the factory can issue for. */
export type KeyAlgorithm = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'ed25519';

/** keyUsage bit names (RFC 5280 §4.2.1.3). */
export type KeyUsageName = keyof typeof KeyUsageFlags;

/** A certificate with its key pair and encodings. */
export interface TestCert {
  cert: X509Certificate;
  der: Buffer;
  pem: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The subjectKeyIdentifier the factory put in the certificate (used as the child's AKI). */
  keyId: Buffer;
}

/** Everything about one certificate; every field has an X509-SVID-conforming default. */
export interface CertOptions {
  /** Subject common name; `null` for an empty subject. */
  commonName?: string | null;
  /** Key pair to certify; generated from `keyAlgorithm` when absent. */
  keyPair?: { privateKey: KeyObject; publicKey: KeyObject };
  keyAlgorithm?: KeyAlgorithm;
  notBefore?: Date;
  notAfter?: Date;
  /** `null` leaves the extension out. */
  basicConstraints?: { cA: boolean; pathLen?: number; critical?: boolean } | null;
  /** `null` leaves the extension out. */
  keyUsage?: { bits: KeyUsageName[]; critical?: boolean } | null;
  /** Names (`serverAuth`, `clientAuth`) or OIDs; `null` leaves the extension out. */
  extKeyUsage?: string[] | null;
  uris?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  emails?: string[];
  /** otherName SANs as (type OID, UTF8String value). */
  otherNames?: [string, string][];
  /** Defaults to true when the subject is empty (RFC 5280 §4.2.1.6), else false. */
  sanCritical?: boolean;
  nameConstraints?: {
    permittedUris?: string[];
    excludedUris?: string[];
    permittedDns?: string[];
    permittedEmails?: string[];
  };
  /** Extra raw extensions appended as given (duplicates allowed, to break RFC 5280 §4.2). */
  extraExtensions?: { oid: string; critical: boolean; value: Uint8Array }[];
  /** Omit subjectKeyIdentifier / authorityKeyIdentifier. */
  omitKeyIds?: boolean;
  /** 1 writes a v1 certificate (no extensions allowed by RFC 5280, but written anyway). */
  version?: 1 | 3;
  /** Write a different outer signatureAlgorithm than the one inside tbsCertificate. */
  mismatchSignatureAlgorithm?: boolean;
  /** Sign with this key instead of the issuer's (a forged signature). */
  signWith?: KeyObject;
}

const EKU_OIDS: Record<string, string> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

/** Generates a key pair of the given algorithm. */
export function generateKeys(algorithm: KeyAlgorithm = 'ec-p256') {
  switch (algorithm) {
    case 'ec-p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'ec-p384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'rsa-2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'ed25519':
      return generateKeyPairSync('ed25519');
  }
}

/** A self-signed root CA: cA=true, keyUsage keyCertSign+cRLSign critical, URI `spiffe://<td>`. */
export function createCa(options: CertOptions & { trustDomain?: string } = {}): TestCert {
  return issue(undefined, caDefaults(options));
}

/** An intermediate CA signed by `issuer`, with the same defaults as {@link createCa}. */
export function createIntermediate(
  issuer: TestCert,
  options: CertOptions & { trustDomain?: string } = {},
): TestCert {
  return issue(issuer, caDefaults({ commonName: 'Intermediate CA', ...options }));
}

function caDefaults(options: CertOptions & { trustDomain?: string }): CertOptions {
  const { trustDomain = 'example.org', ...rest } = options;
  const now = Date.now();
  return {
    commonName: 'Test CA',
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
    basicConstraints: { cA: true, critical: true },
    keyUsage: { bits: ['keyCertSign', 'cRLSign'], critical: true },
    extKeyUsage: null,
    uris: [`spiffe://${trustDomain}`],
    ...rest,
  };
}

/**
 * A leaf X509-SVID signed by `issuer`: cA=false, keyUsage digitalSignature critical, EKU
 * serverAuth+clientAuth, one URI SAN `spiffe://example.org/workload`.
 */
export function createLeaf(issuer: TestCert, options: CertOptions = {}): TestCert {
  const now = Date.now();
  return issue(issuer, {
    commonName: 'workload',
    notBefore: new Date(now - 10_000),
    notAfter: new Date(now + 3_600_000),
    basicConstraints: { cA: false, critical: true },
    keyUsage: { bits: ['digitalSignature'], critical: true },
    extKeyUsage: ['serverAuth', 'clientAuth'],
    uris: ['spiffe://example.org/workload'],
    ...options,
  });
}

/** Builds and signs one certificate; `issuer` undefined makes it self-signed. */
export function issue(issuer: TestCert | undefined, options: CertOptions): TestCert {
  const keys = options.keyPair ?? generateKeys(options.keyAlgorithm);
  const keyId = keyIdentifier(keys.publicKey);
  const subject = buildName(options.commonName);
  const signer = options.signWith ?? issuer?.privateKey ?? keys.privateKey;
  const algorithm = signatureAlgorithm(issuer?.privateKey ?? keys.privateKey);

  const tbs = new TBSCertificate({
    version: options.version === 1 ? 0 : 2,
    serialNumber: serialNumber(),
    signature: algorithm,
    issuer: issuer ? subjectOf(issuer) : subject,
    validity: new Validity({
      notBefore: options.notBefore ?? new Date(Date.now() - 60_000),
      notAfter: options.notAfter ?? new Date(Date.now() + 3_600_000),
    }),
    subject,
    subjectPublicKeyInfo: AsnConvert.parse(
      keys.publicKey.export({ type: 'spki', format: 'der' }),
      SubjectPublicKeyInfo,
    ),
    extensions: buildExtensions(options, keyId, issuer?.keyId ?? keyId, issuer === undefined),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign(hashFor(signer), tbsDer, signer);
  const outer = options.mismatchSignatureAlgorithm
    ? new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.3' })
    : algorithm;
  const der = Buffer.from(
    AsnConvert.serialize(
      new Certificate({
        tbsCertificate: tbs,
        signatureAlgorithm: outer,
        signatureValue: new Uint8Array(signature).buffer,
      }),
    ),
  );
  const cert = new X509Certificate(der);
  return { cert, der, pem: cert.toString(), ...keys, keyId };
}

function buildName(commonName: string | null | undefined): Name {
  if (commonName === null) return new Name([]);
  const cn = new AttributeTypeAndValue({
    type: '2.5.4.3',
    value: new AttributeValue({ utf8String: commonName ?? 'test' }),
  });
  const org = new AttributeTypeAndValue({
    type: '2.5.4.10',
    value: new AttributeValue({ utf8String: 'spire-ts tests' }),
  });
  return new Name([new RelativeDistinguishedName([org]), new RelativeDistinguishedName([cn])]);
}

function subjectOf(issuer: TestCert): Name {
  return AsnConvert.parse(issuer.der, Certificate).tbsCertificate.subject;
}

function serialNumber(): ArrayBuffer {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01;
  return new Uint8Array(bytes).buffer;
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = AsnConvert.parse(
    publicKey.export({ type: 'spki', format: 'der' }),
    SubjectPublicKeyInfo,
  );
  return createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest();
}

function signatureAlgorithm(key: KeyObject): AlgorithmIdentifier {
  if (key.asymmetricKeyType === 'ed25519')
    return new AlgorithmIdentifier({ algorithm: '1.3.101.112' });
  if (key.asymmetricKeyType === 'rsa') {
    return new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: null });
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return new AlgorithmIdentifier({
    algorithm: curve === 'secp384r1' ? '1.2.840.10045.4.3.3' : '1.2.840.10045.4.3.2',
  });
}

function hashFor(key: KeyObject): string | null {
  if (key.asymmetricKeyType === 'ed25519') return null;
  return key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'sha384' : 'sha256';
}

function extension(oid: string, critical: boolean, value: object): Extension {
  return new Extension({
    extnID: oid,
    critical,
    extnValue: new OctetString(AsnConvert.serialize(value)),
  });
}

function buildExtensions(o: CertOptions, keyId: Buffer, issuerKeyId: Buffer, selfSigned: boolean) {
  const list: Extension[] = [];
  if (o.basicConstraints) {
    const { cA, pathLen, critical = true } = o.basicConstraints;
    const bc = new BasicConstraints({
      cA,
      ...(pathLen === undefined ? {} : { pathLenConstraint: pathLen }),
    });
    list.push(extension('2.5.29.19', critical, bc));
  }
  if (o.keyUsage) {
    const bits = o.keyUsage.bits.reduce((acc, b) => acc | KeyUsageFlags[b], 0);
    list.push(extension('2.5.29.15', o.keyUsage.critical ?? true, new KeyUsage(bits)));
  }
  if (o.extKeyUsage) {
    const oids = o.extKeyUsage.map((e) => EKU_OIDS[e] ?? e);
    list.push(extension('2.5.29.37', false, new ExtendedKeyUsage(oids)));
  }
  const sans = subjectAltNames(o);
  if (sans.length > 0) {
    const critical = o.sanCritical ?? o.commonName === null;
    list.push(extension('2.5.29.17', critical, new SubjectAlternativeName(sans)));
  }
  if (o.nameConstraints)
    list.push(extension('2.5.29.30', true, nameConstraints(o.nameConstraints)));
  if (!o.omitKeyIds) {
    list.push(
      extension('2.5.29.14', false, new SubjectKeyIdentifier(new Uint8Array(keyId).buffer)),
    );
    if (!selfSigned) {
      const aki = new AuthorityKeyIdentifier({
        keyIdentifier: new KeyIdentifier(new Uint8Array(issuerKeyId).buffer),
      });
      list.push(extension('2.5.29.35', false, aki));
    }
  }
  for (const extra of o.extraExtensions ?? []) {
    list.push(
      new Extension({
        extnID: extra.oid,
        critical: extra.critical,
        extnValue: new OctetString(extra.value),
      }),
    );
  }
  return list.length > 0 ? new Extensions(list) : undefined;
}

function subjectAltNames(o: CertOptions): GeneralName[] {
  return [
    ...(o.uris ?? []).map((u) => new GeneralName({ uniformResourceIdentifier: u })),
    ...(o.dnsNames ?? []).map((d) => new GeneralName({ dNSName: d })),
    ...(o.ipAddresses ?? []).map((ip) => new GeneralName({ iPAddress: ip })),
    ...(o.emails ?? []).map((e) => new GeneralName({ rfc822Name: e })),
    ...(o.otherNames ?? []).map(
      ([typeId, text]) =>
        new GeneralName({ otherName: new OtherName({ typeId, value: utf8StringExplicit(text) }) }),
    ),
  ];
}

/** otherName value is `[0] EXPLICIT ANY`: here a context tag wrapping a UTF8String. */
function utf8StringExplicit(text: string): ArrayBuffer {
  const body = Buffer.from(text, 'utf8');
  const inner = Buffer.concat([Buffer.from([0x0c, body.length]), body]);
  return new Uint8Array(inner).buffer;
}

function nameConstraints(nc: NonNullable<CertOptions['nameConstraints']>): NameConstraints {
  const subtrees = (names: GeneralName[]) =>
    names.length === 0
      ? undefined
      : new GeneralSubtrees(names.map((base) => new GeneralSubtree({ base })));
  const permitted = [
    ...(nc.permittedUris ?? []).map((u) => new GeneralName({ uniformResourceIdentifier: u })),
    ...(nc.permittedDns ?? []).map((d) => new GeneralName({ dNSName: d })),
    ...(nc.permittedEmails ?? []).map((e) => new GeneralName({ rfc822Name: e })),
  ];
  const excluded = (nc.excludedUris ?? []).map(
    (u) => new GeneralName({ uniformResourceIdentifier: u }),
  );
  const p = subtrees(permitted);
  const e = subtrees(excluded);
  return new NameConstraints({
    ...(p ? { permittedSubtrees: p } : {}),
    ...(e ? { excludedSubtrees: e } : {}),
  });
}

/** A root, `intermediates` CAs below it (each signed by the previous), and a leaf. */
export function createChain(options: { intermediates?: number; leaf?: CertOptions } = {}) {
  const root = createCa({ commonName: 'Root CA' });
  const intermediates: TestCert[] = [];
  let parent = root;
  for (let i = 0; i < (options.intermediates ?? 0); i++) {
    parent = createIntermediate(parent, { commonName: `Intermediate CA ${i + 1}` });
    intermediates.push(parent);
  }
  const leaf = createLeaf(parent, options.leaf);
  /** The peer chain as sent on the wire: leaf first, then intermediates from the bottom up. */
  const chain = [leaf, ...intermediates.slice().reverse()];
  return { root, intermediates, leaf, chain };
}
