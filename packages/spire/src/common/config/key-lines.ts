/**
 * Finds the line of every key in HCL text, so errors can say where a key is. The decoder SPIRE's
 * parser gives us drops positions; this scanner walks the text once, tracks the enclosing
 * blocks, and maps each dotted key path (`server.ca_ttl`, `plugins.KeyManager.disk.plugin_data`)
 * to the 1-based line of its first occurrence. Labels of a block (`KeyManager "disk"`) are path
 * segments, as in the decoded data. Lists are transparent: `a = [{ b = 1 }]` maps `a.b`.
 */
export function keyLines(text: string): ReadonlyMap<string, number> {
  return new KeyScanner(tokenize(text)).scan();
}

type Token = { kind: 'word' | 'punct'; text: string; line: number };

class KeyScanner {
  private readonly lines = new Map<string, number>();
  private readonly stack: string[][] = [[]];
  private pending: Token[] = [];
  // Path of the key whose value comes next, after `=` or `:`.
  private valueOf: string[] | undefined;

  constructor(private readonly tokens: readonly Token[]) {}

  scan(): ReadonlyMap<string, number> {
    for (const tok of this.tokens) {
      if (tok.kind === 'word') this.word(tok);
      else this.punct(tok.text);
    }
    return this.lines;
  }

  private get path(): string[] {
    return this.stack[this.stack.length - 1] ?? [];
  }

  private word(tok: Token): void {
    // A scalar right after `=` is a value, not a key.
    if (this.valueOf && this.pending.length === 0) this.valueOf = undefined;
    else this.pending.push(tok);
  }

  private punct(p: string): void {
    if (p === '=' || p === ':') {
      this.valueOf = this.keyPath();
    } else if (p === '{' || p === '[') {
      const opened = this.pending.length > 0 ? this.keyPath() : (this.valueOf ?? this.path);
      this.stack.push(opened);
      this.valueOf = undefined;
    } else if (p === '}' || p === ']') {
      if (this.stack.length > 1) this.stack.pop();
      this.valueOf = undefined;
    }
    this.pending = [];
  }

  // Records the pending words as keys (a key and its block labels) and returns their full path.
  private keyPath(): string[] {
    const base = this.path;
    const words = this.pending.map((t) => t.text);
    const line = this.pending[0]?.line ?? 0;
    for (let n = 1; n <= words.length; n++) {
      const key = [...base, ...words.slice(0, n)].join('.');
      if (!this.lines.has(key)) this.lines.set(key, line);
    }
    return [...base, ...words];
  }
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === '\n') {
      line++;
      i++;
    } else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      line += countNewlines(text, i, stop);
      i = stop;
    } else if (c === '"') {
      const stop = stringEnd(text, i);
      out.push({ kind: 'word', text: unquote(text.slice(i, stop)), line });
      line += countNewlines(text, i, stop);
      i = stop;
    } else if (c === '<' && text[i + 1] === '<') {
      const stop = heredocEnd(text, i);
      out.push({ kind: 'word', text: '<<heredoc', line });
      line += countNewlines(text, i, stop);
      i = stop;
    } else if ('{}[]=:,'.includes(c)) {
      out.push({ kind: 'punct', text: c, line });
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      let end = i;
      while (end < text.length && !/[\s{}[\]=:,"#]/.test(text[end] ?? '')) end++;
      out.push({ kind: 'word', text: text.slice(i, end), line });
      i = Math.max(end, i + 1);
    }
  }
  return out;
}

function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return Math.min(i + 1, text.length);
}

function heredocEnd(text: string, start: number): number {
  const nl = text.indexOf('\n', start);
  if (nl === -1) return text.length;
  const marker = text
    .slice(start + 2, nl)
    .replace(/^-/, '')
    .trim();
  const re = new RegExp(`^\\s*${marker.replace(/[^A-Za-z0-9_]/g, '')}\\s*$`, 'm');
  const m = re.exec(text.slice(nl + 1));
  return m ? nl + 1 + m.index + m[0].length : text.length;
}

function unquote(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1);
  }
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (text[i] === '\n') n++;
  return n;
}
