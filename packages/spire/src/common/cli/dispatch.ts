import type { CliIo, Command } from './command.js';

/** Exit code when no command matches, as SPIRE's CLI library returns it. */
export const EXIT_NO_COMMAND = 127;

/**
 * Runs `<binary> <verb> [<sub>] [flags]`: picks the command with the longest name matching the
 * leading words of `args` and runs it with the rest. With no arguments, an unknown verb, or
 * `-h`/`--help` alone, prints the command list on stderr: every full command (`agent ban`,
 * `entry create`, ...) with its synopsis, sorted. A parent word with subcommands (`entry`) lists
 * them as SPIRE's CLI library does. `-v`/`--version` prints `version`.
 */
export async function dispatch(
  binary: string,
  commands: readonly Command[],
  args: readonly string[],
  io: CliIo,
  version = '0.1.0',
): Promise<number> {
  const first = args[0];
  if (first === '-v' || first === '--version' || first === '-version') {
    io.stdout.write(`${version}\n`);
    return 0;
  }
  const match = longestMatch(commands, args);
  if (match) return match.command.run(args.slice(match.words), io);

  const wantsHelp = first === '-h' || first === '--help' || first === '-help';
  const prefix = first !== undefined && !first.startsWith('-') ? first : undefined;
  const children = prefix ? commands.filter((c) => c.name.startsWith(`${prefix} `)) : [];
  if (prefix && children.length > 0) {
    io.stderr.write('This command is accessed by using one of the subcommands below.\n\n');
    io.stderr.write(`Subcommands:\n${listing(children, `${prefix} `)}`);
    return 1;
  }
  io.stderr.write(`Usage: ${binary} [--version] [--help] <command> [<args>]\n\n`);
  io.stderr.write(`Available commands are:\n${listing(commands, '')}`);
  return wantsHelp ? 0 : EXIT_NO_COMMAND;
}

function longestMatch(commands: readonly Command[], args: readonly string[]) {
  let best: { command: Command; words: number } | undefined;
  for (const command of commands) {
    const words = command.name.split(' ');
    const hit = words.every((w, i) => args[i] === w);
    if (hit && words.length > (best?.words ?? 0)) best = { command, words: words.length };
  }
  return best;
}

function listing(items: readonly { name: string; synopsis: string }[], strip: string): string {
  const rows = items
    .map((c) => ({ name: c.name.slice(strip.length), synopsis: c.synopsis }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const width = Math.max(...rows.map((r) => r.name.length));
  return rows.map((r) => `    ${r.name.padEnd(width)}    ${r.synopsis}\n`).join('');
}
