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
  /** A --threshold was breached (as k6 does). */
  THRESHOLD_BREACHED: 99,
  /** Stopped by SIGHUP (the terminal closed); outputs were still written and the target cleaned up. */
  HANGUP: 129,
  /** Stopped by SIGINT / SIGTERM; outputs were still written and the target cleaned up. */
  INTERRUPTED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP = [
  '0    every frame committed and verified',
  '1    error (target died mid-run, protocol or I/O error)',
  '2    bad usage (unknown flag, preset or value)',
  '3    verification failed (frames not acknowledged or record count wrong)',
  '4    target unreachable (refused, timed out, embedded node did not start)',
  '5    authentication refused',
  '6    bad input file (not a capture, or corrupt at the named byte offset; a --ca/--cert/--key file missing or not PEM; an expired --cert/--listen-cert)',
  '7    TLS failed (unknown CA, host name mismatch, expired certificate, not a TLS port, client certificate refused)',
  '99   a --threshold was breached',
  '129  hung up (SIGHUP, the terminal closed): partial results written, target cleaned up',
  '130  interrupted (Ctrl-C, SIGTERM): partial results written, target cleaned up',
].join('\n');

export class HarperReplayError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
    this.name = 'HarperReplayError';
  }
}
