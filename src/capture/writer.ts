/**
 * Streaming capture writer: records go into a bounded buffer that is flushed at least every `flushIntervalMs`
 * (a crash loses at most that much) and whenever it passes `maxBufferBytes` (callers wait on `drained()` to
 * propagate backpressure to their sockets). `close()` writes the footer and syncs.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { isControlFrame } from '../protocol/control-frame.js';
import {
  type CaptureFooter,
  type CaptureHeader,
  Direction,
  type DirectionValue,
  encodePreamble,
  headTimeUs,
  RECORD_HEAD_LENGTH,
  RECORD_TRAILER_LENGTH,
  RecordKind,
  type RecordKindValue,
  recordChecksum,
  writeRecordHead,
} from './format.js';
import { FrameIndexBuilder } from './frame-index.js';

/** Payloads up to this size are copied into the write slab with their head and checksum (one iovec, no allocation). */
const SMALL_PAYLOAD = 16 * 1024;
const SLAB_BYTES = 256 * 1024;

export interface CaptureWriterOptions {
  flushIntervalMs?: number;
  maxBufferBytes?: number;
  /** Replace an existing file (default: refuse it). */
  force?: boolean;
}

export class CaptureWriter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Heads, checksums and small payloads are written here; [slabStart, slabUsed) is not in `chunks` yet. */
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private slabStart = 0;
  private slabUsed = 0;
  private flushing: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private closed = false;
  private failure?: Error;
  bytesWritten = 0;
  messages = 0;
  /** File offset of the next record. */
  private offset = 0;
  private readonly frameIndex = new FrameIndexBuilder();

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
    const preamble = encodePreamble(header);
    writer.push(preamble);
    writer.offset = preamble.length;
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
    // After a write error nothing more is buffered: the error is reported, memory stays bounded.
    if (this.failure) return;
    const length = payload.byteLength;
    // The index says what a reader will read of the head.
    if (kind === RecordKind.MESSAGE && direction === Direction.FROM_SOURCE && !isControlFrame(payload))
      this.frameIndex.add(connection, this.offset, headTimeUs(timeUs), payload);
    this.offset += RECORD_HEAD_LENGTH + length + RECORD_TRAILER_LENGTH;
    const small = length <= SMALL_PAYLOAD;
    const at = this.reserve(RECORD_HEAD_LENGTH + (small ? length + RECORD_TRAILER_LENGTH : 0));
    const headEnd = writeRecordHead(this.slab, at, kind, direction, connection, timeUs, opcode, length);
    const crc = recordChecksum(this.slab.subarray(at, headEnd), payload);
    if (small) {
      this.slab.set(payload, headEnd);
      this.slab.writeUInt32BE(crc, headEnd + length);
      this.slabUsed = headEnd + length + RECORD_TRAILER_LENGTH;
    } else {
      // A large payload is written from its own buffer (no copy), between the slab's head and trailer.
      this.slabUsed = headEnd;
      this.pushSlab();
      this.chunks.push(Buffer.from(payload.buffer, payload.byteOffset, length));
      const trailer = this.reserve(RECORD_TRAILER_LENGTH);
      this.slab.writeUInt32BE(crc, trailer);
      this.slabUsed = trailer + RECORD_TRAILER_LENGTH;
    }
    this.buffered += RECORD_HEAD_LENGTH + length + RECORD_TRAILER_LENGTH;
    if (this.full) this.flush().catch(() => {});
  }

  /** Room for `bytes` in the slab (a fresh slab when it is full: the old one may still be queued for writing). */
  private reserve(bytes: number): number {
    if (this.slabUsed + bytes > this.slab.length) {
      this.pushSlab();
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes));
      this.slabStart = 0;
      this.slabUsed = 0;
    }
    return this.slabUsed;
  }

  /** Queues the slab's bytes written since the last push. */
  private pushSlab(): void {
    if (this.slabUsed > this.slabStart) this.chunks.push(this.slab.subarray(this.slabStart, this.slabUsed));
    this.slabStart = this.slabUsed;
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
      this.pushSlab();
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
      Buffer.from(
        JSON.stringify({ ...footer, messages: this.messages, frameIndex: this.frameIndex.toJSON() }),
      ),
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
