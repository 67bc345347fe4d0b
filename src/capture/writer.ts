/**
 * Streaming capture writer: records go into a bounded buffer that is flushed at least every `flushIntervalMs`
 * (a crash loses at most that much) and whenever it passes `maxBufferBytes` (callers wait on `drained()` to
 * propagate backpressure to their sockets). `close()` writes the footer and syncs.
 */
import { type FileHandle, open } from 'node:fs/promises';
import {
  type CaptureFooter,
  type CaptureHeader,
  Direction,
  type DirectionValue,
  encodePreamble,
  encodeRecordHead,
  RECORD_TRAILER_LENGTH,
  RecordKind,
  type RecordKindValue,
  recordChecksum,
} from './format.js';

export interface CaptureWriterOptions {
  flushIntervalMs?: number;
  maxBufferBytes?: number;
  /** Replace an existing file (default: refuse it). */
  force?: boolean;
}

export class CaptureWriter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private flushing: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private closed = false;
  private failure?: Error;
  bytesWritten = 0;
  messages = 0;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    readonly startedAtMs: number,
    private readonly options: Required<CaptureWriterOptions>,
  ) {}

  static async create(
    path: string,
    header: CaptureHeader,
    options: CaptureWriterOptions = {},
  ): Promise<CaptureWriter> {
    const file = await open(path, options.force ? 'w' : 'wx');
    const writer = new CaptureWriter(path, file, header.startedAtMs, {
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      maxBufferBytes: options.maxBufferBytes ?? 8 * 1024 * 1024,
      force: options.force ?? false,
    });
    writer.push(encodePreamble(header));
    await writer.flush();
    // Failures are kept and reported by close() / drained(); a background flush must not reject unhandled.
    writer.timer = setInterval(() => writer.flush().catch(() => {}), writer.options.flushIntervalMs);
    writer.timer.unref();
    return writer;
  }

  /** True when the buffer is over its bound: the caller should stop reading its sockets until `drained()`. */
  get full(): boolean {
    return this.buffered >= this.options.maxBufferBytes;
  }

  /** Microseconds since the capture started. */
  now(): number {
    return (performance.timeOrigin + performance.now() - this.startedAtMs) * 1000;
  }

  message(
    direction: DirectionValue,
    connection: number,
    payload: Uint8Array,
    opcode = 2,
    timeUs = this.now(),
  ): void {
    this.messages++;
    this.record(RecordKind.MESSAGE, direction, connection, payload, opcode, timeUs);
  }

  event(kind: typeof RecordKind.OPEN | typeof RecordKind.CLOSE, connection: number, info: object): void {
    this.record(kind, Direction.FROM_SOURCE, connection, Buffer.from(JSON.stringify(info)), 0, this.now());
  }

  private record(
    kind: RecordKindValue,
    direction: DirectionValue,
    connection: number,
    payload: Uint8Array,
    opcode: number,
    timeUs: number,
  ): void {
    if (this.closed) throw new Error('capture writer is closed');
    const head = encodeRecordHead(kind, direction, connection, timeUs, opcode, payload.length);
    const crc = Buffer.allocUnsafe(RECORD_TRAILER_LENGTH);
    crc.writeUInt32BE(recordChecksum(head, payload));
    // After a write error nothing more is buffered: the error is reported, memory stays bounded.
    if (this.failure) return;
    this.push(head, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), crc);
    if (this.full) this.flush().catch(() => {});
  }

  private push(...parts: Buffer[]): void {
    for (const part of parts) {
      this.chunks.push(part);
      this.buffered += part.length;
    }
  }

  /** Resolves when everything buffered so far is on disk. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (!this.chunks.length || this.failure) return;
      const chunks = this.chunks;
      const length = this.buffered;
      this.chunks = [];
      this.buffered = 0;
      try {
        await this.file.writev(chunks);
        this.bytesWritten += length;
      } catch (error) {
        this.failure = error as Error;
        this.chunks = [];
        this.buffered = 0;
      }
    });
    return this.flushing.then(() => {
      if (this.failure) throw new Error(`cannot write ${this.path}: ${this.failure.message}`);
    });
  }

  /** Waits until the buffer is below its bound again. */
  async drained(): Promise<void> {
    while (this.full) await this.flush();
  }

  /** Writes the footer, flushes, syncs and closes. Safe to call twice. */
  async close(footer: Omit<CaptureFooter, 'messages'>): Promise<void> {
    if (this.closed) return;
    this.record(
      RecordKind.FOOTER,
      Direction.FROM_SOURCE,
      0,
      Buffer.from(JSON.stringify({ ...footer, messages: this.messages })),
      0,
      this.now(),
    );
    this.closed = true;
    clearInterval(this.timer);
    try {
      await this.flush();
      await this.file.sync().catch(() => {});
    } finally {
      await this.file.close();
    }
  }
}
