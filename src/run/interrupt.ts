/**
 * Ctrl-C handling for long runs: the first SIGINT/SIGTERM/SIGHUP aborts the run, which then stops sending, writes
 * what it measured and cleans up the target; a second one exits at once (the embedded node's exit guard and its
 * watchdog still kill it). SIGHUP is what a closed terminal or a dropped ssh session sends: it must clean up too.
 */
import { ExitCode, type ExitCodeValue } from '../common/errors.js';

export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number];

/** The exit code of a run stopped by `signal`'s abort: 129 after SIGHUP (128 + 1), else 130. */
export function interruptExitCode(signal: AbortSignal): ExitCodeValue {
  return signal.reason === 'SIGHUP' ? ExitCode.HANGUP : ExitCode.INTERRUPTED;
}

/** After a hang-up the terminal is gone: a write to it fails (EIO, EPIPE) and must not crash the cleanup. */
function ignoreTerminalErrors(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
}

export async function interruptible<T>(
  work: (signal: AbortSignal) => Promise<T>,
  onInterrupt?: (signal: InterruptSignal) => void,
): Promise<T> {
  const controller = new AbortController();
  const handler = (signal: InterruptSignal) => {
    if (signal === 'SIGHUP') ignoreTerminalErrors();
    if (controller.signal.aborted) process.exit(interruptExitCode(controller.signal));
    onInterrupt?.(signal);
    // The reason is the signal's name: the run's exit code says which one stopped it.
    controller.abort(signal);
  };
  for (const signal of INTERRUPT_SIGNALS) process.on(signal, handler);
  try {
    return await work(controller.signal);
  } finally {
    for (const signal of INTERRUPT_SIGNALS) process.removeListener(signal, handler);
  }
}
