/** `--samples FILE`: every event of the run as one JSON line, written to disk as the run goes. */
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import type { RunEvent } from '../events/schema.js';

/** Lines are batched and written synchronously: at this size, every FLUSH_MS, at close, and at process exit. */
const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 250;

export class NdjsonSink {
  private fd: number | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;
  private failure?: Error;
  private readonly timer: NodeJS.Timeout;
  // A second Ctrl-C exits at once: whatever is still batched is written on the way out.
  private readonly onExit = () => this.flush();

  /**
   * Written in place as the run goes (not under a temporary name): a killed run keeps what it measured, and
   * `report` reads a file cut off mid-line. `force` replaces an existing file; without it one is refused.
   */
  constructor(
    readonly path: string,
    force = false,
  ) {
    try {
      this.fd = openSync(path, force ? 'w' : 'wx');
    } catch (error) {
      this.failure = error as Error;
    }
    this.timer = setInterval(() => this.flush(), FLUSH_MS).unref();
    process.on('exit', this.onExit);
  }

  readonly sink = (event: RunEvent): void => {
    if (this.fd === undefined) return;
    const line = `${JSON.stringify(event)}\n`;
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  };

  /** Writes every line seen so far. Synchronous, so nothing is left in a buffer when the process ends. */
  flush(): void {
    if (this.fd === undefined || !this.pending.length) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    try {
      writeSync(this.fd, chunk);
    } catch (error) {
      this.failure = error as Error;
      this.release();
    }
  }

  /** Writes what is left and closes the file; events after this are not recorded. */
  async close(): Promise<void> {
    this.flush();
    this.release();
    if (this.failure) throw new Error(`cannot write samples to ${this.path}: ${this.failure.message}`);
  }

  private release(): void {
    clearInterval(this.timer);
    process.removeListener('exit', this.onExit);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Reads a samples file back, event by event; names the line of anything that is not an event. A last line cut off
 * mid-write (the run was killed) ends the file: `onCutOff` hears of it and the events before it still count.
 * Splits the chunks itself rather than through readline, whose async iterator is known to drop lines
 * (nodejs/node#28565).
 */
export async function* readNdjson(
  path: string,
  onCutOff?: (message: string) => void,
): AsyncGenerator<RunEvent> {
  let number = 0;
  let rest = '';
  const parse = (line: string): RunEvent | undefined => {
    number++;
    if (!line.trim()) return undefined;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      throw new Error(`${path}:${number}: not JSON`);
    }
    if (
      typeof event !== 'object' ||
      event === null ||
      typeof (event as { type?: unknown }).type !== 'string'
    ) {
      throw new Error(`${path}:${number}: not a harper-replay event`);
    }
    return event as RunEvent;
  };
  for await (const chunk of createReadStream(path, { encoding: 'utf8' })) {
    const lines = (rest + (chunk as string)).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const event = parse(line.replace(/\r$/, ''));
      if (event) yield event;
    }
  }
  let last: RunEvent | undefined;
  try {
    last = parse(rest);
  } catch (error) {
    if (!onCutOff) throw error;
    onCutOff(`${path}:${number}: the last line is cut off (the run ended while writing it); it is left out`);
  }
  if (last) yield last;
}
