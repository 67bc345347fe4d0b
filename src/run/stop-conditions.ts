/**
 * When a capture stops (subscriber or proxy): Ctrl-C, the source closing, --duration, --frames, --until-idle.
 * `stopReason` is the pure rule; `waitForStop` polls it.
 */

export interface StopRules {
  signal: AbortSignal;
  durationMs?: number;
  maxFrames?: number;
  untilIdleMs?: number;
}

export interface StopState {
  startedAt: number;
  /** When the last message arrived; undefined: idleness is not counted (yet). */
  lastMessageAt?: number;
  frames?: number;
  /** Set once the source closed the connection. */
  closed?: { code: number; reason: string };
}

/** Why to stop now, or undefined to go on; the first rule that holds, in the order of the list above. */
export function stopReason(rules: StopRules, state: StopState, now = Date.now()): string | undefined {
  // Ctrl-C is how a capture is normally stopped (as with tcpdump): the file is finalized, exit 0.
  if (rules.signal.aborted) return 'interrupted';
  const { closed } = state;
  if (closed)
    return `source closed the connection (${closed.code}${closed.reason ? ` ${closed.reason}` : ''})`;
  if (rules.durationMs !== undefined && now - state.startedAt >= rules.durationMs) return 'duration';
  if (rules.maxFrames !== undefined && (state.frames ?? 0) >= rules.maxFrames) return 'frames';
  if (
    rules.untilIdleMs !== undefined &&
    state.lastMessageAt !== undefined &&
    now - state.lastMessageAt >= rules.untilIdleMs
  )
    return 'idle';
  return undefined;
}

/** Checks the rules every `everyMs` (after `onTick`, e.g. a progress line) until one holds. */
export async function waitForStop(
  rules: StopRules,
  state: () => StopState,
  onTick?: () => void,
  everyMs = 50,
): Promise<string> {
  for (;;) {
    onTick?.();
    const reason = stopReason(rules, state());
    if (reason) return reason;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
