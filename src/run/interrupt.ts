/**
 * Ctrl-C handling for long runs: the first SIGINT/SIGTERM aborts the run, which then stops sending, writes what it
 * measured and cleans up the target; a second one exits at once (the embedded node's exit guard still kills it).
 */
import { ExitCode } from '../common/errors.js';

export async function interruptible<T>(
  work: (signal: AbortSignal) => Promise<T>,
  onInterrupt?: () => void,
): Promise<T> {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) process.exit(ExitCode.INTERRUPTED);
    onInterrupt?.();
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  try {
    return await work(controller.signal);
  } finally {
    process.removeListener('SIGINT', handler);
    process.removeListener('SIGTERM', handler);
  }
}
