/** `--samples FILE`: every event of the run as one JSON line, streamed to disk as it happens. */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RunEvent } from './metrics-bus.js';

export class NdjsonSink {
  private readonly stream: WriteStream;
  private failure?: Error;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: 'w' });
    this.stream.on('error', (error) => {
      this.failure = error;
    });
  }

  readonly sink = (event: RunEvent): void => {
    if (!this.failure) this.stream.write(`${JSON.stringify(event)}\n`);
  };

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.stream.end(resolve));
    if (this.failure) throw new Error(`cannot write samples to ${this.path}: ${this.failure.message}`);
  }
}

/** Reads a samples file back, event by event; names the line of anything that is not an event. */
export async function* readNdjson(path: string): AsyncGenerator<RunEvent> {
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (!line.trim()) continue;
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
    yield event as RunEvent;
  }
}
