/**
 * What every command shares: its errors. A failing command prints one line on stderr and exits with a documented
 * code; under --json it also prints `{"error": {"message", "exitCode"}}` on stdout — instead of oclif's default,
 * which dumps the whole parse context (hundreds of KB) for a mistyped flag and exits 1.
 */
import { Command } from '@oclif/core';
import { ExitCode, HarperReplayError } from '../common/errors.js';

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
  /** One error line, then exit with `code` (also under --json, where oclif would make it 1). */
  protected fail(message: string, code: number): never {
    printError(message);
    process.exitCode = code;
    return this.exit(code);
  }

  /** A HarperReplayError as its one line and its exit code; anything else is oclif's to report. */
  protected failOn(error: unknown): never {
    if (error instanceof HarperReplayError) return this.fail(error.message, error.exitCode);
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

  protected override async catch(error: CommandFailure): Promise<unknown> {
    if (!this.jsonEnabled()) return super.catch(error);
    const exit = error.oclif?.exit;
    // A parse error carries oclif's exit 2 (our usage code); the command's own exits set the code first.
    process.exitCode = process.exitCode || (typeof exit === 'number' ? exit : 1);
    const message =
      error.code === 'EEXIT' ? (lastError ?? `exit ${process.exitCode}`) : oneLine(error.message);
    this.logJson({ error: { message, exitCode: process.exitCode } });
    return undefined;
  }
}

/** oclif's parse errors span lines around the point ("The following error occurred:", "See more help…"). */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^The following errors? occurred:$/.test(line) && !/^See more help/.test(line))
    .join('; ');
}
