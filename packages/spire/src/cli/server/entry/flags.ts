/** The flags of the `entry` verbs, with SPIRE's names, defaults and usage text. */
import type { FlagSpec } from '../../../common/cli/flagset.js';

const str = (name: string, usage: string): FlagSpec => ({
  name,
  kind: 'string',
  usage,
  default: '',
});
const bool = (name: string, usage: string): FlagSpec => ({ name, kind: 'bool', usage });
const list = (name: string, usage: string): FlagSpec => ({ name, kind: 'list', usage });

const SELECTOR = list(
  'selector',
  'A colon-delimited type:value selector. Can be used more than once',
);
const DOWNSTREAM = bool(
  'downstream',
  'A boolean value that, when set, indicates that the entry describes a downstream SPIRE server',
);

/** What `entry create` and `entry update` share. */
const ENTRY_FIELDS: readonly FlagSpec[] = [
  str('parentID', "The SPIFFE ID of this record's parent"),
  str('spiffeID', 'The SPIFFE ID that this record represents'),
  {
    name: 'x509SVIDTTL',
    kind: 'int',
    usage: 'The lifetime, in seconds, for x509-SVIDs issued based on this registration entry.',
    default: 0,
  },
  {
    name: 'jwtSVIDTTL',
    kind: 'int',
    usage: 'The lifetime, in seconds, for JWT-SVIDs issued based on this registration entry.',
    default: 0,
  },
  str(
    'data',
    "Path to a file containing registration JSON (optional). If set to '-', read the JSON from stdin.",
  ),
  SELECTOR,
  list('federatesWith', 'SPIFFE ID of a trust domain to federate with. Can be used more than once'),
  bool(
    'admin',
    "If set, the SPIFFE ID in this entry will be granted access to the SPIRE Server's management APIs",
  ),
  bool(
    'storeSVID',
    'A boolean value that, when set, indicates that the resulting issued SVID from this entry must be stored through an SVIDStore plugin',
  ),
  DOWNSTREAM,
  {
    name: 'entryExpiry',
    kind: 'int',
    usage: 'An expiry, from epoch in seconds, for the resulting registration entry to be pruned',
    default: 0,
  },
  list(
    'dns',
    'A DNS name that will be included in SVIDs issued based on this entry, where appropriate. Can be used more than once',
  ),
  str('hint', 'The entry hint, used to disambiguate entries with the same SPIFFE ID'),
  bool(
    'disableX509SVIDPrefetch',
    'A boolean value that, when set, disables prefetching X509 SVID for this entry',
  ),
  bool(
    'jwtSVIDIncludeJTI',
    "A boolean value that, when set, includes a unique 'jti' claim in JWT-SVIDs issued for this entry and bypasses the agent JWT-SVID cache",
  ),
];

/** `entry create`: the entry fields, a custom `-entryID` and `-node`. */
export const CREATE_FLAGS: readonly FlagSpec[] = [
  str(
    'entryID',
    'A custom ID for this registration entry (optional). If not set, a new entry ID will be generated',
  ),
  bool('node', 'If set, this entry will be applied to matching nodes rather than workloads'),
  ...ENTRY_FIELDS,
];

/** `entry update`: the entry fields and the `-entryID` to replace. */
export const UPDATE_FLAGS: readonly FlagSpec[] = [
  str('entryID', 'The Registration Entry ID of the record to update'),
  ...ENTRY_FIELDS,
];

const MATCH_USAGE = (what: string) =>
  `The match mode used when filtering by ${what}. Options: exact, any, superset and subset`;

/** `entry show` and `entry count` filters; `verb` is `show` or `count`. */
export function filterFlags(verb: 'show' | 'count'): FlagSpec[] {
  const flags: FlagSpec[] = [
    str('parentID', `The Parent ID of the records to ${verb}`),
    str('spiffeID', `The SPIFFE ID of the records to ${verb}`),
    DOWNSTREAM,
    SELECTOR,
    list(
      'federatesWith',
      'SPIFFE ID of a trust domain an entry is federate with. Can be used more than once',
    ),
    {
      name: 'matchFederatesWithOn',
      kind: 'string',
      usage: MATCH_USAGE('federates with'),
      default: 'superset',
    },
    {
      name: 'matchSelectorsOn',
      kind: 'string',
      usage: MATCH_USAGE('selectors'),
      default: 'superset',
    },
    str('hint', `The Hint of the records to ${verb} (optional)`),
  ];
  if (verb === 'show') flags.unshift(str('entryID', 'The Entry ID of the records to show'));
  return flags;
}
