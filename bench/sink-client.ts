/**
 * The sending side's handle on the discarding peer (bench/discard-sink.ts, its own process): fork it, wait for its
 * IPC messages, and check that it counted what was sent.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The peer's report once it has counted the messages it expects. */
export interface SinkDone {
  /** Epoch ms of the last message: the sender's clock stops here. */
  at: number;
  cpuSec: number;
  received: number;
  messages: number;
}

export function forkSink(args: string[]): ChildProcess {
  return fork(fileURLToPath(new URL('./discard-sink.js', import.meta.url)), args, { stdio: 'inherit' });
}

export function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string }) => {
      if (m.type === type) {
        child.off('message', on);
        resolve(m as T);
      }
    };
    child.on('message', on);
  });
}

/** The peer's clock stops at its count: a miscount would move the figure, so its counts must be the sender's. */
export function assertCounted(done: SinkDone, sent: { messages: number; bytes: number }): void {
  if (done.messages !== sent.messages || done.received !== sent.bytes)
    throw new Error(
      `discard-sink counted ${done.messages} messages, ${done.received} B; sent ${sent.messages}, ${sent.bytes} B`,
    );
}
