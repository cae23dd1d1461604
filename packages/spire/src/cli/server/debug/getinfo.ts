/** `spire-server debug getinfo` (reference §3.4): what Debug.GetInfo reports, as SPIRE prints it. */
import { goDuration } from '../../../common/cli/flagset.js';
import {
  Debug,
  type GetInfoResponse,
  GetInfoResponseSchema,
} from '../../../gen/spire/api/server/debug/v1/debug_pb.js';
import { adminCommand, printJson } from '../client.js';
import { idText } from '../entry/print.js';

/** The text form: uptime as a Go duration, the counts, then the server SVID chain (RFC 3339 UTC). */
export function debugInfoText(info: GetInfoResponse): string {
  let text =
    'Server Debug Info:\n' +
    `  Uptime:                  ${goDuration(info.uptime * 1000)}\n` +
    `  Registered Agents:       ${info.agentsCount}\n` +
    `  Registration Entries:    ${info.entriesCount}\n` +
    `  Federated Bundles:       ${info.federatedBundlesCount}\n`;
  if (info.svidChain.length > 0) text += '  SVID Chain:\n';
  info.svidChain.forEach((cert, i) => {
    const expires = new Date(Number(cert.expiresAt) * 1000).toISOString().replace('.000Z', 'Z');
    text +=
      `    [${i}] SPIFFE ID:  ${cert.id ? idText(cert.id) : '(none)'}\n` +
      `        Subject:    ${cert.subject}\n` +
      `        Expires At: ${expires}\n`;
  });
  return text;
}

/** `debug getinfo`. */
export const debugGetInfoCommand = adminCommand(
  'debug getinfo',
  'Prints debug information about the server',
  [],
  async ({ io, json, server }) => {
    const info = await server.client(Debug).getInfo({});
    if (json) return printJson(io, GetInfoResponseSchema, info);
    io.stdout.write(debugInfoText(info));
  },
);
