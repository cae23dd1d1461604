/** SPIRE's text rendering of agents (`cmd/spire-server/cli/agent/list.go`), labels padded to 18. */
import type { CliIo } from '../../../common/cli/command.js';
import type { Agent } from '../../../gen/spire/api/types/agent_pb.js';

/** Prints each agent's block followed by a blank line. */
export function printAgents(io: CliIo, agents: readonly Agent[]): void {
  for (const a of agents) {
    const line = (label: string, value: string) =>
      io.stdout.write(`${label.padEnd(18)}: ${value}\n`);
    line('SPIFFE ID', `spiffe://${a.id?.trustDomain ?? ''}${a.id?.path ?? ''}`);
    line('Attestation type', a.attestationType);
    line('Expiration time', goTime(Number(a.x509svidExpiresAt)));
    if (a.banned) line('Banned', 'true');
    else line('Serial number', a.x509svidSerialNumber);
    line('Can re-attest', String(a.canReattest));
    if (a.agentVersion !== '') line('Agent version', a.agentVersion);
    io.stdout.write('\n');
  }
}

/** Go's `time.Unix(s, 0).String()` in UTC: `2006-01-02 15:04:05 +0000 UTC`. */
export function goTime(unixSeconds: number): string {
  const iso = new Date(unixSeconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}

/** `n agent` / `n agents`, as SPIRE's Pluralizer writes it. */
export function plural(n: number, singular: string, pluralForm: string): string {
  return n === 1 ? singular : pluralForm;
}
