/**
 * What every command shares: its errors and its --json. A failing command prints one line on stderr and exits with
 * a documented code (--verbose adds the stack); under --json stdout holds one document, success or failure, with
 * `exitCode` and `error` first (json-contract.ts) — instead of oclif's default, which dumps the whole parse context
 * (hundreds of KB) for a mistyped flag and exits 1.
 */
import { Command, Flags } from '@oclif/core';
import { closest, distance } from 'fastest-levenshtein';
import { ExitCode, HarperReplayError } from '../common/errors.js';
import { jsonDocument, jsonError } from './json-contract.js';

let lastError: string | undefined;

/** A bad flag value or a contradiction the flag definitions cannot express: exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** "Error: …" on stderr, remembered so that --json can carry the same message. */
export function printError(message: string): void {
  lastError = message;
  process.stderr.write(`Error: ${message}\n`);
}

type CommandFailure = Error & { code?: string; oclif?: { exit?: number } };

export abstract class BaseCommand extends Command {
  static override baseFlags = {
    verbose: Flags.boolean({
      summary: 'Print the stack of an error (for bug reports).',
      helpGroup: 'OUTPUT',
    }),
  };

  /** The names of the command's flags (for a did-you-mean). */
  private knownFlags(): string[] {
    const command = this.constructor as typeof BaseCommand;
    return Object.keys({ ...command.baseFlags, ...command.flags });
  }

  /** Read from argv, not the parsed flags: a parse error is reported before there are any. */
  protected get verbose(): boolean {
    return this.argv.includes('--verbose');
  }

  override async init(): Promise<void> {
    await super.init();
    // A reader that went away (`| head`) ends the output quietly; a full disk or another failure is one line.
    // Prepended: oclif's own listener rethrows anything but EPIPE (an uncaught stack); this one exits first.
    process.stdout.prependListener('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') {
        process.stderr.write(`Error: cannot write to stdout: ${error.code ?? error.message}\n`);
        process.exitCode = ExitCode.ERROR;
      }
      process.exit();
    });
  }

  /** The result under --json, with the contract's head (exitCode, error). */
  protected override toSuccessJson(result: unknown): unknown {
    return jsonDocument(result, Number(process.exitCode ?? 0));
  }

  /** One error line, then exit with `code` (also under --json, where oclif would make it 1). */
  protected fail(message: string, code: number): never {
    printError(message);
    process.exitCode = code;
    return this.exit(code);
  }

  /** A HarperReplayError as its one line and its exit code; anything else is oclif's to report. */
  protected failOn(error: unknown): never {
    if (error instanceof HarperReplayError) {
      if (this.verbose && error.stack) process.stderr.write(`${error.stack}\n`);
      return this.fail(error.message, error.exitCode);
    }
    throw error;
  }

  /**
   * One unwrapped line on stderr and exit 2 (oclif's this.error would wrap it to the terminal width) for a bad flag
   * value or a contradiction; an error that carries its own exit code (a bad --ca file: 6) exits with that.
   */
  protected usage(problem: string | Error): never {
    const message = typeof problem === 'string' ? problem : problem.message;
    // Under --json oclif's catch keeps a set exitCode but would turn its own exit error into 1.
    return this.fail(message, problem instanceof HarperReplayError ? problem.exitCode : ExitCode.USAGE);
  }

  /** What `build` makes of the flags (run options), or its error as a usage error (see `usage`). */
  protected fromFlags<T>(build: () => T): T {
    try {
      return build();
    } catch (error) {
      return this.usage(error as Error);
    }
  }

  /**
   * Every failure that is not one of the command's own exits: one line on stderr (the stack only with --verbose),
   * oclif's exit code for parse errors (2) or 1; under --json also the contract's document on stdout.
   */
  protected override async catch(error: CommandFailure): Promise<unknown> {
    if (error.code === 'EEXIT' && !this.jsonEnabled()) return super.catch(error);
    const exit = error.oclif?.exit;
    process.exitCode = process.exitCode || (typeof exit === 'number' ? exit : 1);
    const exitCode = Number(process.exitCode);
    const message =
      error.code === 'EEXIT'
        ? (lastError ?? `exit ${exitCode}`)
        : withSuggestion(oneLine(error.message), this.knownFlags());
    if (error.code !== 'EEXIT') {
      printError(message);
      if (this.verbose && error.stack) process.stderr.write(`${error.stack}\n`);
    }
    if (this.jsonEnabled()) this.logJson({ exitCode, error: jsonError(message, exitCode) });
    return undefined;
  }
}

/** "Nonexistent flag: --rat" → "…; did you mean --rate?" when one of the command's flags is that close. */
export function withSuggestion(message: string, flags: string[]): string {
  const unknown = /Nonexistent flags?: (--?[\w-]+)/.exec(message)?.[1]?.replace(/^-+/, '');
  if (!unknown || !flags.length) return message;
  const nearest = closest(unknown, flags);
  return distance(unknown, nearest) <= Math.max(2, Math.floor(unknown.length / 3))
    ? `${message}; did you mean --${nearest}?`
    : message;
}

/** oclif's parse errors span lines around the point ("The following error occurred:", "See more help…"). */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^The following errors? occurred:$/.test(line) && !/^See more help/.test(line))
    .join('; ');
}
