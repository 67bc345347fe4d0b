/**
 * oclif's command_not_found hook: a mistyped command is one line naming the nearest command, exit 127 (the shell's
 * code for "command not found"), and under --json the contract's document. @oclif/plugin-not-found only suggests at
 * an interactive prompt and prints nothing on stdout under --json, so this small hook replaces it.
 */
import type { Hook } from '@oclif/core';
import { closest, distance } from 'fastest-levenshtein';
import { UNKNOWN_COMMAND_EXIT } from '../common/errors.js';
import { jsonError } from './json-contract.js';

/** The line for a mistyped command: the nearest command when it is close enough to be what was meant. */
export function notFoundMessage(id: string, commands: string[], bin: string): string {
  const nearest = commands.length ? closest(id, commands) : undefined;
  const near = nearest !== undefined && distance(id, nearest) <= Math.max(2, Math.floor(id.length / 3));
  return `"${id}" is not a ${bin} command; ${near ? `did you mean ${nearest}?` : `run ${bin} --help for the list`}`;
}

const hook: Hook<'command_not_found'> = async (options) => {
  const commands = options.config.commands.filter((c) => !c.hidden).map((c) => c.id);
  const message = notFoundMessage(options.id, commands, options.config.bin);
  process.stderr.write(`Error: ${message}\n`);
  if (options.argv?.includes('--json') || process.argv.includes('--json')) {
    process.stdout.write(
      `${JSON.stringify({ exitCode: UNKNOWN_COMMAND_EXIT, error: jsonError(message, UNKNOWN_COMMAND_EXIT) }, null, 2)}\n`,
    );
  }
  process.exit(UNKNOWN_COMMAND_EXIT);
};

export default hook;
