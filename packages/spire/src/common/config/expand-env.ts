/** Environment lookup: the value of a variable, or undefined when it is not set. */
export type EnvLookup = (name: string) => string | undefined;

const SPECIAL = new Set('*#$@!?-0123456789');

/**
 * Expands `$NAME` and `${NAME}` in `text` with Go `os.Expand` rules, as SPIRE's `-expandEnv`
 * does on the raw file text before parsing (bug-cases-2 D18): an unset name expands to the empty
 * string, `$$` yields one `$`, a `$` not followed by a name is kept, and `${` without a closing
 * brace is dropped.
 */
export function expandEnv(text: string, lookup: EnvLookup): string {
  let out = '';
  let from = 0;
  for (let j = 0; j < text.length; j++) {
    if (text[j] !== '$' || j + 1 >= text.length) continue;
    out += text.slice(from, j);
    const { name, width } = shellName(text, j + 1);
    if (name === '' && width === 0) out += '$';
    else if (name === '$') out += '$';
    else if (name !== '') out += lookup(name) ?? '';
    j += width;
    from = j + 1;
  }
  return out + text.slice(from);
}

// Mirrors Go's getShellName: the name after a `$` and how many characters it spans.
function shellName(s: string, at: number): { name: string; width: number } {
  const first = s[at] ?? '';
  if (first === '{') {
    const second = s[at + 1] ?? '';
    if (SPECIAL.has(second) && s[at + 2] === '}') return { name: second, width: 3 };
    const close = s.indexOf('}', at + 1);
    if (close === -1) return { name: '', width: 1 };
    if (close === at + 1) return { name: '', width: 2 };
    return { name: s.slice(at + 1, close), width: close - at + 1 };
  }
  if (SPECIAL.has(first)) return { name: first, width: 1 };
  let end = at;
  while (end < s.length && /[A-Za-z0-9_]/.test(s[end] ?? '')) end++;
  return { name: s.slice(at, end), width: end - at };
}
