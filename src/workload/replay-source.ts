/**
 * The replayer's frame source: a capture read as an index (one pass, constant memory per frame) and then read
 * again frame by frame on demand, so any frame can be rebuilt after a reconnect. Data frames are the source's
 * transaction frames of one connection; the control frames that travelled with them (table structures, residency
 * lists, blob chunks) are re-sent in their captured order; receiver → source frames (acks) are not sent, but
 * their timing gives the original ack latency.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { type CaptureRecord, Direction, RECORD_HEAD_LENGTH, RecordKind } from '../capture/format.js';
import { CaptureReader } from '../capture/reader.js';
import { LatencyHistogram, type LatencySummary } from '../common/latency-histogram.js';
import { Command } from '../protocol/codes.js';
import {
  type ControlFrame,
  controlCode,
  decodeControlFrame,
  encodeNodeIdMap,
  isControlFrame,
  type TableStructure,
} from '../protocol/control-frame.js';
import { rewriteTxnFrame } from '../protocol/rewrite.js';
import { summarizeTxnFrame } from '../protocol/txn-frame.js';
import type { BuiltFrame, FrameSource } from './synthetic.js';

export interface ReplayOptions {
  /** Connection of the capture to replay (default: the one with the most transaction frames). */
  connection?: number;
  /** 1 = captured pace, 4 = four times faster, Infinity = flat out. */
  speed: number;
  /** Longest idle gap kept from the capture (ms). */
  maxGapMs?: number;
  loops: number;
  /** Skip the first N data frames (resume after a failed replay). */
  fromFrame: number;
  /** New increasing versions, one per frame (default); false keeps the captured versions. */
  retime: boolean;
  /** 'capture' keeps the captured origins; any other value attributes every record to that node name. */
  origin: string;
  tables?: string[];
  excludeTables?: string[];
}

interface Control {
  offset: number;
  /** Index of the data frame this control frame precedes (frames.length = after the last). */
  before: number;
  code: number;
  tableId?: number;
}

export interface CapturedTable {
  tableId: number;
  name: string;
  structure: TableStructure;
}

const REPLAYED_CONTROLS = new Set<number>([
  Command.TABLE_FIXED_STRUCTURE,
  Command.NODE_NAME_TO_ID_MAP,
  Command.RESIDENCY_LIST,
  Command.BLOB_CHUNK,
]);

/** A control frame, or undefined when it does not decode (inspect names such frames; replay skips them). */
function tryDecode(payload: Buffer): ControlFrame | undefined {
  try {
    return decodeControlFrame(payload);
  } catch {
    return undefined;
  }
}

/** What one connection of a capture holds for a replay: its data frames (where, how big, when), controls, acks. */
class ConnectionIndex {
  readonly offsets: number[] = [];
  readonly records: number[] = [];
  readonly times: number[] = [];
  readonly tails: number[] = [];
  readonly controls: Control[] = [];
  readonly acks: Array<{ timeUs: number; seq: number }> = [];
  bytes = 0;
  largest = 0;

  /** The receiver's COMMITTED_UPDATE frames: the capture's own ack latencies. */
  addAck(record: CaptureRecord): void {
    if (controlCode(record.payload) !== Command.COMMITTED_UPDATE) return;
    const frame = tryDecode(record.payload);
    if (frame?.type === 'COMMITTED_UPDATE' && frame.sequenceId)
      this.acks.push({ timeUs: record.timeUs, seq: frame.sequenceId });
  }

  addData(record: CaptureRecord): void {
    let summary: ReturnType<typeof summarizeTxnFrame>;
    try {
      summary = summarizeTxnFrame(record.payload);
    } catch {
      return; // an undecodable frame is not replayed (inspect names it)
    }
    this.offsets.push(record.offset);
    this.records.push(summary.entryCount);
    this.times.push(record.timeUs);
    this.tails.push(summary.sequenceId ?? Number.NaN);
    this.bytes += record.payload.length;
    this.largest = Math.max(this.largest, record.payload.length);
  }
}

export class ReplaySource implements FrameSource {
  private offsets: number[] = [];
  private records: number[] = [];
  private dueMs: number[] = [];
  private controls: Control[] = [];
  private file?: FileHandle;
  readonly tables = new Map<number, CapturedTable>();
  nodeIds: Record<string, number> = {};
  originalAcks: LatencySummary = { count: 0, p50: null, p99: null, max: null };
  connection = 1;
  sourceNodeName?: string;
  database?: string;
  bytes = 0;
  /** The largest transaction frame to replay (bytes): checked against what the target accepts. */
  largestFrame = 0;
  truncated = false;
  private originName = '';
  private baseVersion = 0;
  private baseSequence = 0;

  private constructor(
    readonly path: string,
    readonly options: ReplayOptions,
  ) {}

  /** Indexes the capture (one streaming pass). */
  static async open(path: string, options: ReplayOptions): Promise<ReplaySource> {
    const source = new ReplaySource(path, options);
    await source.index();
    source.file = await open(path, 'r');
    return source;
  }

  /** The tool's node name (origin 'self') and the version / sequence bases of this run. */
  start(toolNodeName: string, now = Date.now()): this {
    this.originName = this.options.origin === 'self' ? toolNodeName : this.options.origin;
    this.baseVersion = now;
    this.baseSequence = now;
    return this;
  }

  private async index(): Promise<void> {
    const reader = await CaptureReader.open(this.path);
    this.database = typeof reader.header.database === 'string' ? reader.header.database : undefined;
    this.sourceNodeName = reader.header.source?.nodeName;
    // Per connection until the connection is chosen.
    const perConnection = new Map<number, ConnectionIndex>();
    try {
      for await (const record of reader.records()) {
        if (record.kind !== RecordKind.MESSAGE) continue;
        const c = perConnection.get(record.connection) ?? new ConnectionIndex();
        perConnection.set(record.connection, c);
        if (record.direction === Direction.TO_SOURCE) c.addAck(record);
        else if (!isControlFrame(record.payload)) c.addData(record);
        else this.indexControl(c, record);
      }
    } finally {
      this.truncated = reader.status.truncated || !reader.status.complete;
      await reader.close();
    }
    const chosen =
      this.options.connection ??
      [...perConnection.entries()].sort((a, b) => b[1].offsets.length - a[1].offsets.length)[0]?.[0] ??
      1;
    const c = perConnection.get(chosen);
    if (!c || c.offsets.length === 0)
      throw new Error(`${this.path}: no transaction frames from the source on connection ${chosen}`);
    this.connection = chosen;
    this.offsets = c.offsets;
    this.records = c.records;
    this.controls = c.controls;
    this.bytes = c.bytes;
    this.largestFrame = c.largest;
    this.schedule(c.times);
    this.originalAcks = originalAckLatency(c.times, c.tails, c.acks);
  }

  /** Control frames a replay re-sends in place; table structures and node ids are kept for the whole capture. */
  private indexControl(c: ConnectionIndex, record: CaptureRecord): void {
    const code = controlCode(record.payload);
    if (code === undefined || !REPLAYED_CONTROLS.has(code)) return;
    const control: Control = { offset: record.offset, before: c.offsets.length, code };
    if (code === Command.TABLE_FIXED_STRUCTURE) {
      const frame = tryDecode(record.payload);
      if (frame?.type === 'TABLE_FIXED_STRUCTURE') {
        control.tableId = frame.tableId;
        if (!this.tables.has(frame.tableId) || record.connection === this.options.connection) {
          this.tables.set(frame.tableId, {
            tableId: frame.tableId,
            name: frame.tableName,
            structure: frame.structure,
          });
        }
      }
    }
    if (code === Command.NODE_NAME_TO_ID_MAP) {
      const frame = tryDecode(record.payload);
      if (frame?.type === 'NODE_NAME_TO_ID_MAP') this.nodeIds = { ...this.nodeIds, ...frame.nodeIds };
    }
    c.controls.push(control);
  }

  /** Due times of data frames: captured offsets, idle gaps capped at maxGap, divided by the speed. */
  private schedule(times: number[]): void {
    const { speed, maxGapMs } = this.options;
    let due = 0;
    this.dueMs = times.map((time, i) => {
      if (i > 0) {
        const gap = (time - times[i - 1]!) / 1000;
        due += Math.min(gap, maxGapMs ?? Number.POSITIVE_INFINITY) / speed;
      }
      return due;
    });
  }

  /** Data frames in one pass of the capture (after --from-frame). */
  get framesPerLoop(): number {
    return this.offsets.length - this.options.fromFrame;
  }

  get frameCount(): number {
    return Math.max(0, this.framesPerLoop) * this.options.loops;
  }

  get totalRecords(): number {
    let sum = 0;
    for (let i = this.options.fromFrame; i < this.records.length; i++) sum += this.records[i]!;
    return sum * this.options.loops;
  }

  /** Captured frame index of replay index `index`. */
  private captured(index: number): number {
    return this.options.fromFrame + (index % this.framesPerLoop);
  }

  recordsIn(index: number): number {
    return this.records[this.captured(index)]!;
  }

  sequenceId(index: number): number {
    return this.baseSequence + index + 1;
  }

  /** When replay frame `index` is due (ms after the first frame of the run), or undefined when flat out. */
  due(index: number): number | undefined {
    if (!Number.isFinite(this.options.speed)) return undefined;
    const first = this.dueMs[this.options.fromFrame]!;
    const loopLength = this.dueMs[this.dueMs.length - 1]! - first;
    const loop = Math.floor(index / this.framesPerLoop);
    return loop * loopLength + (this.dueMs[this.captured(index)]! - first);
  }

  /** The scheduled duration of the whole replay (ms), or null when flat out. */
  get scheduledDurationMs(): number | null {
    return this.frameCount ? (this.due(this.frameCount - 1) ?? null) : null;
  }

  private keepTable = (tableId: number): boolean => {
    const name = this.tables.get(tableId)?.name;
    if (this.options.tables?.length) return name !== undefined && this.options.tables.includes(name);
    if (this.options.excludeTables?.length)
      return name === undefined || !this.options.excludeTables.includes(name);
    return true;
  };

  private get filtering(): boolean {
    return Boolean(this.options.tables?.length || this.options.excludeTables?.length);
  }

  private async payloadAt(offset: number): Promise<Buffer> {
    const head = Buffer.allocUnsafe(RECORD_HEAD_LENGTH);
    await this.file!.read(head, 0, RECORD_HEAD_LENGTH, offset);
    const length = head.readUInt32BE(15);
    const payload = Buffer.allocUnsafe(length);
    await this.file!.read(payload, 0, length, offset + RECORD_HEAD_LENGTH);
    return payload;
  }

  /**
   * Sent first on every connection: the node-id map, and, for a stream that resumes mid-capture, the last table
   * structure of every table and the residency lists seen before that point.
   */
  async preamble(subscribedNames: string[], fromIndex = 0): Promise<Buffer[]> {
    const out: Buffer[] = [];
    const origin = this.options.origin === 'capture' ? this.nodeIds : { [this.originName]: 0 };
    out.push(encodeNodeIdMap(origin, subscribedNames));
    const position = this.captured(fromIndex);
    const loopedOnce = fromIndex >= this.framesPerLoop;
    const latest = new Map<number, number>();
    for (const control of this.controls) {
      if (!loopedOnce && control.before > position) break;
      if (control.code === Command.TABLE_FIXED_STRUCTURE && control.tableId !== undefined)
        latest.set(control.tableId, control.offset);
      if (control.code === Command.RESIDENCY_LIST) out.push(await this.payloadAt(control.offset));
    }
    for (const [tableId, offset] of latest)
      if (this.keepTable(tableId)) out.push(await this.payloadAt(offset));
    return out;
  }

  async build(index: number): Promise<BuiltFrame> {
    const position = this.captured(index);
    const previous = position === this.options.fromFrame ? -1 : position - 1;
    const before: Buffer[] = [];
    const after: Buffer[] = [];
    let blobs = 0;
    let blobBytes = 0;
    for (const control of this.controls) {
      if (control.before <= previous || control.code === Command.NODE_NAME_TO_ID_MAP) continue;
      const last = position === this.offsets.length - 1;
      if (control.before > position && !(last && control.before === this.offsets.length)) break;
      if (
        control.code === Command.TABLE_FIXED_STRUCTURE &&
        control.tableId !== undefined &&
        !this.keepTable(control.tableId)
      )
        continue;
      const payload = await this.payloadAt(control.offset);
      if (control.code === Command.BLOB_CHUNK) {
        blobBytes += payload.length;
        blobs++;
      }
      (control.before > position ? after : before).push(payload);
    }
    const rewritten = rewriteTxnFrame(await this.payloadAt(this.offsets[position]!), {
      version: this.options.retime ? this.baseVersion + index / 1000 : undefined,
      sequenceId: this.sequenceId(index),
      nodeId: this.options.origin === 'capture' ? undefined : () => 0,
      keepTable: this.filtering ? this.keepTable : undefined,
    });
    return {
      index,
      data: rewritten.frame,
      before,
      records: rewritten.entries,
      sequenceId: this.sequenceId(index),
      blobChunks: after,
      blobs,
      blobBytes,
    };
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = undefined;
  }
}

/** The capture's own ack latency: each frame with a tail, to the first later ack covering it. */
function originalAckLatency(
  times: number[],
  tails: number[],
  acks: Array<{ timeUs: number; seq: number }>,
): LatencySummary {
  const histogram = new LatencyHistogram();
  let a = 0;
  for (let i = 0; i < times.length; i++) {
    const tail = tails[i]!;
    if (!Number.isFinite(tail) || tail === 0) continue;
    while (a < acks.length && (acks[a]!.seq < tail || acks[a]!.timeUs < times[i]!)) a++;
    if (a >= acks.length) break;
    histogram.recordMs((acks[a]!.timeUs - times[i]!) / 1000);
  }
  return histogram.summary();
}
