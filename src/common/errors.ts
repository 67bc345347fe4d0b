/** Exit codes mean something: scripts and CI branch on them. Documented in --help and the README. */
export const ExitCode = {
  OK: 0,
  /** Anything else that went wrong: a target that died mid-run, a protocol error, an I/O error. */
  ERROR: 1,
  /** Bad flags or arguments (oclif's own code for parse errors). */
  USAGE: 2,
  /** The run finished but not everything landed: frames not acknowledged or the record count is wrong. */
  VERIFY_FAILED: 3,
  /** The target could not be reached (refused, timed out, embedded node failed to start). */
  UNREACHABLE: 4,
  /** The target refused the credentials. */
  AUTH_FAILED: 5,
  /** An input file is not a valid capture (corrupt, wrong format); the message names the byte offset. */
  BAD_INPUT: 6,
  /**
   * TLS failed: the node's certificate is not trusted (unknown CA), names another host, has expired, the port does
   * not speak TLS, or the node refused the client certificate during the handshake.
   */
  TLS_FAILED: 7,
  /** A shard (--shard) was ready after its --start-at had passed: it sent nothing and removed its registration. */
  READY_TOO_LATE: 8,
  /**
   * report --merge: the files are not every shard of one run (one missing, duplicated, from another run, not a
   * shard) or a shard ended without its run-end (killed); the merged result is partial, thresholds not evaluated.
   */
  SHARDS_INCOMPLETE: 9,
  /** A --threshold was breached (as k6 does). */
  THRESHOLD_BREACHED: 99,
  /** Stopped by SIGHUP (the terminal closed); outputs were still written and the target cleaned up. */
  HANGUP: 129,
  /** Stopped by SIGINT / SIGTERM; outputs were still written and the target cleaned up. */
  INTERRUPTED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Not a command's: the dispatcher's, for a mistyped command name (the shell's own "command not found" code). */
export const UNKNOWN_COMMAND_EXIT = 127;

/** The name of each exit code, as --json's `error.kind` gives it. */
export type ExitKind =
  | 'ok'
  | 'error'
  | 'usage'
  | 'verify-failed'
  | 'unreachable'
  | 'auth-failed'
  | 'bad-input'
  | 'tls-failed'
  | 'ready-too-late'
  | 'shards-incomplete'
  | 'threshold-breached'
  | 'hangup'
  | 'interrupted'
  | 'unknown-command';

export const EXIT_KIND: Record<ExitCodeValue, ExitKind> = {
  [ExitCode.OK]: 'ok',
  [ExitCode.ERROR]: 'error',
  [ExitCode.USAGE]: 'usage',
  [ExitCode.VERIFY_FAILED]: 'verify-failed',
  [ExitCode.UNREACHABLE]: 'unreachable',
  [ExitCode.AUTH_FAILED]: 'auth-failed',
  [ExitCode.BAD_INPUT]: 'bad-input',
  [ExitCode.TLS_FAILED]: 'tls-failed',
  [ExitCode.READY_TOO_LATE]: 'ready-too-late',
  [ExitCode.SHARDS_INCOMPLETE]: 'shards-incomplete',
  [ExitCode.THRESHOLD_BREACHED]: 'threshold-breached',
  [ExitCode.HANGUP]: 'hangup',
  [ExitCode.INTERRUPTED]: 'interrupted',
};

/** The kind of any exit code (one the table does not know is an error). */
export function exitKind(code: number): ExitKind {
  if (code === UNKNOWN_COMMAND_EXIT) return 'unknown-command';
  return (EXIT_KIND as Record<number, ExitKind>)[code] ?? 'error';
}

const EXIT_LINES: Record<ExitCodeValue, string> = {
  [ExitCode.OK]: 'success',
  [ExitCode.ERROR]: 'error (target died mid-run, protocol or I/O error)',
  [ExitCode.USAGE]: 'bad usage (unknown flag, bad value, an output that exists or is an input)',
  [ExitCode.VERIFY_FAILED]: 'verification failed (frames not acknowledged or record count wrong)',
  [ExitCode.UNREACHABLE]:
    'target unreachable (refused, timed out, embedded node did not start); thresholds not evaluated',
  [ExitCode.AUTH_FAILED]: 'authentication refused',
  [ExitCode.BAD_INPUT]:
    'bad input file (missing, unreadable, a directory, not a capture, or corrupt at the named byte offset; a --ca/--cert/--key file missing or not PEM)',
  [ExitCode.TLS_FAILED]:
    'TLS failed (unknown CA, host name mismatch, expired certificate, not a TLS port, client certificate refused)',
  [ExitCode.READY_TOO_LATE]:
    'ready too late for --start-at (the shard subscribed after the common start): sent nothing, registration removed',
  [ExitCode.SHARDS_INCOMPLETE]:
    'report --merge: shards incomplete (one missing, duplicated, from another run, or killed before its end); thresholds not evaluated',
  [ExitCode.THRESHOLD_BREACHED]: 'a --threshold was breached',
  [ExitCode.HANGUP]: 'hung up (SIGHUP, the terminal closed): partial results written, target cleaned up',
  [ExitCode.INTERRUPTED]: 'interrupted (Ctrl-C, SIGTERM): partial results written, target cleaned up',
};

/** The exit-code section of a command's help: only the codes that command can return, `success` said its way. */
export function exitCodeHelp(codes: readonly ExitCodeValue[], success = EXIT_LINES[ExitCode.OK]): string {
  return codes
    .map((code) => `${String(code).padEnd(5)}${code === ExitCode.OK ? success : EXIT_LINES[code]}`)
    .join('\n');
}

/** Every code a load command that takes --shard (synth, replay) can return. */
export const LOAD_EXIT_CODES = Object.values(ExitCode);

/** The whole table (README, synth and replay). */
export const EXIT_CODE_HELP = exitCodeHelp(LOAD_EXIT_CODES, 'every frame committed and verified');

/** bench's table: a load command without --shard, so never ready too late. */
export const BENCH_EXIT_CODE_HELP = exitCodeHelp(
  LOAD_EXIT_CODES.filter((code) => code !== ExitCode.READY_TOO_LATE),
  'every frame committed and verified',
);

export class HarperReplayError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
    this.name = 'HarperReplayError';
  }
}

/**
 * An input file that cannot be read as one: missing, a directory, unreadable, not the expected format, or corrupt.
 * One exit code (bad input, 6) for all of them in every command, and a message that names the path (and the flag
 * that named it, when given).
 */
export function inputFileError(error: unknown, path: string, flag?: string): HarperReplayError {
  if (error instanceof HarperReplayError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (flag) {
    // A file a flag names (--ca, --cert, …): the flag first, so the user sees which one to fix.
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'a directory, not a file'
          : code === 'EACCES'
            ? 'permission denied'
            : (code ?? (error as Error).message);
    return new HarperReplayError(`${flag} ${path}: cannot read it (${why})`, ExitCode.BAD_INPUT);
  }
  const message =
    code === 'ENOENT'
      ? `no such file: ${path}`
      : code === 'EISDIR'
        ? `${path} is a directory, not a file`
        : code === 'EACCES'
          ? `${path}: permission denied`
          : (error as Error).message.includes(path)
            ? (error as Error).message
            : `${path}: ${(error as Error).message}`;
  return new HarperReplayError(message, ExitCode.BAD_INPUT);
}
