import { isIPv4, isIPv6 } from 'node:net';
import { SpiffeError } from '../errors.js';

/** Where the Workload API listens: a Unix domain socket, or a TCP IP address and port. */
export type WorkloadEndpoint =
  | { readonly network: 'unix'; readonly path: string }
  | { readonly network: 'tcp'; readonly host: string; readonly port: number };

/** Workload Endpoint §4: the variable a client falls back to when it is not configured. */
export const SPIFFE_ENDPOINT_SOCKET = 'SPIFFE_ENDPOINT_SOCKET';

/** Stable codes of {@link WorkloadEndpointError}, one per rule of Workload Endpoint §4. */
export const WorkloadEndpointErrorCode = {
  /** The address is empty, or `SPIFFE_ENDPOINT_SOCKET` is unset or empty. */
  MissingAddress: 'ERR_WORKLOADAPI_MISSING_ADDRESS',
  /** A character that no RFC 3986 URI may hold (control, space, non-ASCII) or a bad `%xx`. */
  Unparseable: 'ERR_WORKLOADAPI_UNPARSEABLE',
  /** No URI scheme, e.g. a bare path. */
  MissingScheme: 'ERR_WORKLOADAPI_MISSING_SCHEME',
  /** A scheme other than `unix` or `tcp`. */
  BadScheme: 'ERR_WORKLOADAPI_BAD_SCHEME',
  /** `unix:opaque` or `unix:relative/path`, or `tcp:` without `//host:port`. */
  OpaqueOrRelative: 'ERR_WORKLOADAPI_OPAQUE_OR_RELATIVE',
  /** A `unix` URI with an authority (`unix://host/path`). */
  AuthoritySet: 'ERR_WORKLOADAPI_AUTHORITY_SET',
  /** A `unix` URI without a path. */
  MissingPath: 'ERR_WORKLOADAPI_MISSING_PATH',
  /** Userinfo (`user@`) in the authority. */
  Userinfo: 'ERR_WORKLOADAPI_USERINFO',
  /** A query component. */
  Query: 'ERR_WORKLOADAPI_QUERY',
  /** A fragment component. */
  Fragment: 'ERR_WORKLOADAPI_FRAGMENT',
  /** A `tcp` URI without a host. */
  MissingHost: 'ERR_WORKLOADAPI_MISSING_HOST',
  /** A `tcp` host that is not an IP address (names are not allowed). */
  HostNotIp: 'ERR_WORKLOADAPI_HOST_NOT_IP',
  /** A `tcp` URI without a port. */
  MissingPort: 'ERR_WORKLOADAPI_MISSING_PORT',
  /** A `tcp` port that is not a number from 1 to 65535. */
  BadPort: 'ERR_WORKLOADAPI_BAD_PORT',
  /** A `tcp` URI with a path. */
  PathSet: 'ERR_WORKLOADAPI_PATH_SET',
} as const;

/** One of the {@link WorkloadEndpointErrorCode} values. */
export type WorkloadEndpointErrorCode =
  (typeof WorkloadEndpointErrorCode)[keyof typeof WorkloadEndpointErrorCode];

/** A Workload Endpoint address broke a rule of Workload Endpoint §4. */
export class WorkloadEndpointError extends SpiffeError {
  declare readonly code: WorkloadEndpointErrorCode;

  constructor(code: WorkloadEndpointErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

const Code = WorkloadEndpointErrorCode;
const UNIX_EXAMPLE = 'unix:///tmp/spire-agent/public/api.sock';
const TCP_EXAMPLE = 'tcp://127.0.0.1:8000';
const ANY_EXAMPLE = `${UNIX_EXAMPLE} or ${TCP_EXAMPLE}`;
// RFC 3986 §2: unreserved, reserved and '%'; anything else cannot appear in a URI.
const URI_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * Parses a Workload Endpoint address (Workload Endpoint §4), the form `SPIFFE_ENDPOINT_SOCKET`
 * holds: `unix:///abs/path` (or `unix:/abs/path`), or `tcp://<IP>:<port>`. The scheme is matched
 * case-insensitively (RFC 3986 §3.1: `TCP://` is accepted); nothing else is normalised. IPv6 hosts
 * come back without brackets, ready for `net.connect`. Throws {@link WorkloadEndpointError}.
 *
 * @example
 * parseWorkloadEndpoint('unix:///tmp/spire-agent/public/api.sock');
 * // { network: 'unix', path: '/tmp/spire-agent/public/api.sock' }
 */
export function parseWorkloadEndpoint(address: string): WorkloadEndpoint {
  if (typeof address !== 'string') {
    throw new TypeError(`workload endpoint address must be a string, got ${typeof address}`);
  }

  if (address.length === 0) {
    throw fail(Code.MissingAddress, address, 'is empty', ANY_EXAMPLE);
  }

  if (!URI_CHARS.test(address)) {
    throw fail(Code.Unparseable, address, 'has a character a URI cannot hold', ANY_EXAMPLE);
  }

  const scheme = SCHEME.exec(address)?.[1];
  if (scheme === undefined) {
    throw fail(Code.MissingScheme, address, 'has no unix or tcp scheme', ANY_EXAMPLE);
  }

  const rest = splitQueryAndFragment(address, address.slice(scheme.length + 1));
  switch (scheme.replace(/[A-Z]/g, (c) => c.toLowerCase())) {
    case 'unix':
      return parseUnix(address, rest);
    case 'tcp':
      return parseTcp(address, rest);
    default:
      throw fail(Code.BadScheme, address, 'has a scheme other than unix or tcp', ANY_EXAMPLE);
  }
}

/**
 * Reads the Workload Endpoint address from `SPIFFE_ENDPOINT_SOCKET` (Workload Endpoint §4), for
 * a client that has no explicit address configured. Throws {@link WorkloadEndpointError} when the
 * variable is unset, empty, or not a valid address; the message names the variable.
 */
export function workloadEndpointFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): WorkloadEndpoint {
  const value = env[SPIFFE_ENDPOINT_SOCKET];
  if (value === undefined || value === '') {
    throw new WorkloadEndpointError(
      Code.MissingAddress,
      `environment variable ${SPIFFE_ENDPOINT_SOCKET} is not set: ` +
        `set it to the workload api address, for example ${UNIX_EXAMPLE}`,
    );
  }

  try {
    return parseWorkloadEndpoint(value);
  } catch (err) {
    if (err instanceof WorkloadEndpointError) {
      throw new WorkloadEndpointError(
        err.code,
        `environment variable ${SPIFFE_ENDPOINT_SOCKET}: ${err.message}`,
        { cause: err },
      );
    }
    throw err;
  }
}

/**
 * Locates the Workload Endpoint as Workload Endpoint §4 orders it: an explicitly configured
 * address wins; without one, `SPIFFE_ENDPOINT_SOCKET` is read; with neither, it is an error
 * (the spec mandates no default path).
 */
export function resolveWorkloadEndpoint(
  address?: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): WorkloadEndpoint {
  return address === undefined ? workloadEndpointFromEnv(env) : parseWorkloadEndpoint(address);
}

/** Formats an endpoint back into its canonical address, e.g. `tcp://[::1]:8000`. */
export function formatWorkloadEndpoint(endpoint: WorkloadEndpoint): string {
  if (endpoint.network === 'unix') {
    return `unix://${encodeURI(endpoint.path).replace(/[?#]/g, encodeURIComponent)}`;
  }

  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `tcp://${host}:${endpoint.port}`;
}

/** Returns the part between `scheme:` and any query or fragment, rejecting both. */
function splitQueryAndFragment(address: string, rest: string): string {
  const query = rest.indexOf('?');
  const fragment = rest.indexOf('#');
  if (query !== -1 && (fragment === -1 || query < fragment)) {
    throw fail(Code.Query, address, 'must not have a query', ANY_EXAMPLE);
  }

  if (fragment !== -1) {
    throw fail(Code.Fragment, address, 'must not have a fragment', ANY_EXAMPLE);
  }

  return rest;
}

/** Splits `//authority/path` (authority `null` when the `//` marker is absent). */
function splitAuthority(rest: string): { authority: string | null; path: string } {
  if (!rest.startsWith('//')) {
    return { authority: null, path: rest };
  }

  const slash = rest.indexOf('/', 2);
  return slash === -1
    ? { authority: rest.slice(2), path: '' }
    : { authority: rest.slice(2, slash), path: rest.slice(slash) };
}

// Workload Endpoint §4: for unix, the authority MUST NOT be set and the path MUST be absolute.
function parseUnix(address: string, rest: string): WorkloadEndpoint {
  const { authority, path } = splitAuthority(rest);
  if (authority?.includes('@')) {
    throw fail(Code.Userinfo, address, 'must not have user info', UNIX_EXAMPLE);
  }

  if (authority !== null && authority !== '') {
    throw fail(Code.AuthoritySet, address, 'must not have an authority (host)', UNIX_EXAMPLE);
  }

  if (path === '') {
    throw fail(Code.MissingPath, address, 'has no socket path', UNIX_EXAMPLE);
  }

  if (!path.startsWith('/')) {
    throw fail(Code.OpaqueOrRelative, address, 'must have an absolute path', UNIX_EXAMPLE);
  }

  return { network: 'unix', path: decodePath(address, path) };
}

function decodePath(address: string, path: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch (cause) {
    throw fail(Code.Unparseable, address, 'has a bad percent-encoding', UNIX_EXAMPLE, cause);
  }

  if (decoded.includes('\0')) {
    throw fail(Code.Unparseable, address, 'has a NUL byte in its path', UNIX_EXAMPLE);
  }

  return decoded;
}

// Workload Endpoint §4: for tcp, the host MUST be an IP address, the port MUST be set, and
// nothing else may be.
function parseTcp(address: string, rest: string): WorkloadEndpoint {
  const { authority, path } = splitAuthority(rest);
  if (authority === null) {
    const code = rest.startsWith('/') || rest === '' ? Code.MissingHost : Code.OpaqueOrRelative;
    throw fail(code, address, 'must have the form tcp://<ip>:<port>', TCP_EXAMPLE);
  }

  if (authority.includes('@')) {
    throw fail(Code.Userinfo, address, 'must not have user info', TCP_EXAMPLE);
  }

  if (path !== '') {
    throw fail(Code.PathSet, address, 'must not have a path', TCP_EXAMPLE);
  }

  const { host, port } = splitHostPort(address, authority);
  return { network: 'tcp', host, port: parsePort(address, port) };
}

function splitHostPort(address: string, authority: string): { host: string; port: string | null } {
  let host: string;
  let port: string | null;
  let ipOk: boolean;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    host = close === -1 ? authority : authority.slice(1, close);
    const after = close === -1 ? '' : authority.slice(close + 1);
    port = after.startsWith(':') ? after.slice(1) : null;
    // Zone identifiers are not accepted: the host must be a plain IPv6 address.
    ipOk = close !== -1 && (after === '' || port !== null) && isIPv6(host) && !host.includes('%');
  } else {
    const colon = authority.lastIndexOf(':');
    host = colon === -1 ? authority : authority.slice(0, colon);
    port = colon === -1 ? null : authority.slice(colon + 1);
    ipOk = isIPv4(host);
  }

  if (host === '') {
    throw fail(Code.MissingHost, address, 'has no host', TCP_EXAMPLE);
  }

  if (!ipOk) {
    throw fail(Code.HostNotIp, address, 'must have an IP address as host, not a name', TCP_EXAMPLE);
  }

  return { host, port };
}

function parsePort(address: string, port: string | null): number {
  if (port === null || port === '') {
    throw fail(Code.MissingPort, address, 'has no port', TCP_EXAMPLE);
  }

  const n = /^[0-9]{1,5}$/.test(port) ? Number(port) : 0;
  if (n < 1 || n > 65535) {
    throw fail(Code.BadPort, address, 'must have a port from 1 to 65535', TCP_EXAMPLE);
  }

  return n;
}

function fail(
  code: WorkloadEndpointErrorCode,
  address: string,
  problem: string,
  example: string,
  cause?: unknown,
): WorkloadEndpointError {
  const shown = JSON.stringify(address.length > 120 ? `${address.slice(0, 117)}...` : address);
  return new WorkloadEndpointError(
    code,
    `workload endpoint address ${shown} ${problem}: use an address such as ${example}`,
    cause === undefined ? undefined : { cause },
  );
}
