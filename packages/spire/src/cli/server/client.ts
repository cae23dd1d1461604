/**
 * What every admin verb of `spire-server` shares (SPIRE's `serverutil.Adapter`): the
 * `-socketPath` and `-output` flags, a gRPC client over the admin Unix socket that is closed when
 * the verb ends, Go-style error output (`Error: rpc error: code = NotFound desc = agent not
 * found`), and protojson output as SPIRE's `cliprinter` writes it.
 */
import net from 'node:net';
import type { DescMessage, DescService, MessageShape } from '@bufbuild/protobuf';
import { toJson } from '@bufbuild/protobuf';
import { type Client, Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import type { CliIo, Command } from '../../common/cli/command.js';
import { FlagSet, type FlagSpec, type FlagValues } from '../../common/cli/flagset.js';

/** SPIRE's default admin socket. */
export const DEFAULT_SOCKET_PATH = '/tmp/spire-server/private/api.sock';

/** `-socketPath`, as every admin verb has it. */
export const SOCKET_PATH_FLAG: FlagSpec = {
  name: 'socketPath',
  kind: 'string',
  usage: 'Path to the SPIRE Server API socket',
  default: DEFAULT_SOCKET_PATH,
};

/** `-socketPath` and `-output`, as every admin verb has them. */
export const ADMIN_FLAGS: readonly FlagSpec[] = [
  SOCKET_PATH_FLAG,
  {
    name: 'output',
    kind: 'string',
    usage: 'Desired output format (pretty, json); default: pretty.',
    default: 'pretty',
  },
];

/** A verb's failure that is printed as `Error: <message>` with exit code 1. */
export class CliError extends Error {}

/** Opens clients on the admin socket; `close()` ends the HTTP/2 session. */
export interface AdminClients {
  client<S extends DescService>(service: S): Client<S>;
  close(): void;
}

/** The parsed flags and output mode handed to a verb. */
export interface VerbContext {
  readonly flags: FlagValues;
  /** The names of the flags given on the command line. */
  readonly given: ReadonlySet<string>;
  readonly io: CliIo;
  readonly json: boolean;
  readonly server: AdminClients;
}

/** A verb body: resolves when done, throws to fail (printed as `Error: ...`, exit 1). */
export type VerbBody = (v: VerbContext) => Promise<void>;

/**
 * Builds an admin verb: parses flags (its own plus {@link ADMIN_FLAGS}), connects to the socket,
 * runs `body`, and prints any failure as SPIRE does. Exit 0 on success, 1 on failure.
 */
export function adminCommand(
  name: string,
  synopsis: string,
  flags: readonly FlagSpec[],
  body: VerbBody,
): Command {
  return {
    name,
    synopsis,
    run: async (args, io) => {
      const parsed = new FlagSet(name, [...flags, ...ADMIN_FLAGS]).parse(args);
      if (!parsed.ok) {
        io.stderr.write(parsed.output);
        return parsed.help ? 0 : 1;
      }
      const output = String(parsed.values.output);
      if (output !== 'pretty' && output !== 'json') {
        io.stderr.write(`Error: invalid output format "${output}": use pretty or json\n`);
        return 1;
      }
      const server = adminClients(String(parsed.values.socketPath));
      try {
        const json = output === 'json';
        await body({ flags: parsed.values, given: parsed.set, io, json, server });
        return 0;
      } catch (err) {
        io.stderr.write(`Error: ${errorText(err)}\n`);
        return 1;
      } finally {
        server.close();
      }
    },
  };
}

/** Clients over the Unix socket at `socketPath`, sharing one HTTP/2 session. */
export function adminClients(socketPath: string): AdminClients {
  const nodeOptions = { createConnection: () => net.connect(socketPath) };
  const sessionManager = new Http2SessionManager('http://localhost', {}, nodeOptions);
  const transport = createGrpcTransport({ baseUrl: 'http://localhost', sessionManager });
  return {
    client: (service) => createClient(service, transport),
    close: () => sessionManager.abort(),
  };
}

/** Go's rendering of a gRPC status error, or the plain message of anything else. */
export function errorText(err: unknown): string {
  if (err instanceof ConnectError) {
    return `rpc error: code = ${Code[err.code]} desc = ${err.rawMessage}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Prints a message as SPIRE's `-output json` does: protojson with proto field names and every
 * field, then re-encoded by Go's `encoding/json`, which drops nulls and sorts object keys.
 */
export function printJson<D extends DescMessage>(io: CliIo, schema: D, msg: MessageShape<D>): void {
  const json = toJson(schema, msg, { useProtoFieldName: true, alwaysEmitImplicit: true });
  io.stdout.write(`${JSON.stringify(goJson(json))}\n`);
}

// Go's map round trip: keys sorted, null members removed (also inside arrays).
function goJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(goJson);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== null) out[key] = goJson(v);
  }
  return out;
}
