import { ConfigError, ConfigErrorCode } from './errors.js';

const TD_NAME = /^[a-z0-9._-]+$/;
const MAX_TD_BYTES = 255;

/**
 * Reads a configured trust domain. Both `example.org` and `spiffe://example.org` are accepted and
 * give `example.org` (bug-cases C05; go-spiffe `TrustDomainFromString`: input containing `:/` is
 * read as a SPIFFE ID, which here must have no path). ASCII upper case is folded (DESIGN
 * decisions); the name must then use only `a-z 0-9 . - _` (SPIFFE-ID §2.1) and fit in 255 bytes.
 */
export function configTrustDomain(value: string, key: string): string {
  let name = value;
  if (value.includes(':/')) {
    const m = /^spiffe:\/\/([^/]*)$/i.exec(value);
    if (!m) throw bad(key, value, 'a SPIFFE ID here must be spiffe://<name> with no path');
    name = m[1] ?? '';
  }
  name = name.replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (name === '') throw bad(key, value, 'the name is empty');
  if (!TD_NAME.test(name)) {
    throw bad(key, value, 'SPIFFE-ID §2.1 allows only letters, digits, ".", "-" and "_"');
  }
  if (Buffer.byteLength(name) > MAX_TD_BYTES) throw bad(key, value, 'it exceeds 255 bytes');
  return name;
}

function bad(key: string, value: string, why: string): ConfigError {
  const msg = `${key}: invalid trust domain "${value}": ${why}; write it as example.org`;
  return ConfigError.of(ConfigErrorCode.InvalidValue, msg, key);
}
