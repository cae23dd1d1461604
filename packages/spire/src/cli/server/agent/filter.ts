/** The filter flags `agent list` and `agent count` share, turned into the API filter. */

import type { FlagSpec, FlagValues } from '../../../common/cli/flagset.js';
import { SelectorMatch_MatchBehavior as Match } from '../../../gen/spire/api/types/selector_pb.js';
import { CliError } from '../client.js';

/** SPIRE's filter flags. */
export const AGENT_FILTER_FLAGS: readonly FlagSpec[] = [
  {
    name: 'selector',
    kind: 'list',
    usage: 'A colon-delimited type:value selector. Can be used more than once',
  },
  {
    name: 'attestationType',
    kind: 'string',
    usage: 'Filter by attestation type, like join_token or x509pop.',
    default: '',
  },
  {
    name: 'canReattest',
    kind: 'string',
    usage:
      "Filter based on string received, 'true': agents that can reattest, 'false': agents that can't reattest, other value will return all.",
    default: '',
  },
  {
    name: 'banned',
    kind: 'string',
    usage:
      "Filter based on string received, 'true': banned agents, 'false': not banned agents, other value will return all.",
    default: '',
  },
  {
    name: 'expiresBefore',
    kind: 'string',
    usage: 'Filter by expiration time (format: "2006-01-02 15:04:05 -0700 -07")',
    default: '',
  },
  {
    name: 'matchSelectorsOn',
    kind: 'string',
    usage:
      'The match mode used when filtering by selectors. Options: exact, any, superset and subset',
    default: 'superset',
  },
];

const MATCH: Record<string, Match> = {
  exact: Match.MATCH_EXACT,
  any: Match.MATCH_ANY,
  superset: Match.MATCH_SUPERSET,
  subset: Match.MATCH_SUBSET,
};

const GO_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4} [+-]\d{2}$/;

/** The ListAgents/CountAgents filter for the parsed flags. */
export function agentFilter(flags: FlagValues) {
  const selectors = (flags.selector as readonly string[] | undefined) ?? [];
  const match = MATCH[String(flags.matchSelectorsOn)];
  if (selectors.length > 0 && match === undefined) throw new CliError('unsupported match behavior');
  const expiresBefore = String(flags.expiresBefore);
  if (expiresBefore !== '' && !GO_TIME.test(expiresBefore)) {
    throw new CliError(
      `date is not valid: "${expiresBefore}" does not match "2006-01-02 15:04:05 -0700 -07"`,
    );
  }
  return {
    byAttestationType: String(flags.attestationType),
    byExpiresBefore: expiresBefore,
    ...tristate('byCanReattest', flags.canReattest),
    ...tristate('byBanned', flags.banned),
    ...(selectors.length > 0
      ? { bySelectorMatch: { selectors: selectors.map(parseSelector), match: match as Match } }
      : {}),
  };
}

function tristate(key: string, value: unknown): Record<string, boolean> {
  if (value === 'true') return { [key]: true };
  if (value === 'false') return { [key]: false };
  return {};
}

function parseSelector(text: string): { type: string; value: string } {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) {
    throw new CliError(
      `error parsing selector "${text}": selector "${text}" must be formatted as type:value`,
    );
  }
  return { type: text.slice(0, colon), value: text.slice(colon + 1) };
}
