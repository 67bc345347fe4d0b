/**
 * The replayer's frame source: a capture read as an index (one pass, constant memory per frame) and then read
 * again frame by frame on demand, so any frame can be rebuilt after a reconnect. Data frames are the source's
 * transaction frames of one connection; the control frames that travelled with them (table structures, residency
 * lists, blob chunks) are re-sent in their captured order; receiver → source frames (acks) are not sent, but
 * their timing gives the original ack latency.
 */
import { type FileHandle, open } from 'node:fs/promises';
import {
  type CaptureRecord,
  Direction,
  RECORD_HEAD_LENGTH,
  RECORD_TRAILER_LENGTH,
  RecordKind,
} from '../capture/format.js';
import { type IndexedFrame, parseFrameIndex } from '../capture/frame-index.js';
import { CaptureReader, checkRecord } from '../capture/reader.js';
import { ExitCode, HarperReplayError } from '../common/errors.js';
import { LatencyHistogram, type LatencySummary } from '../common/latency-histogram.js';
import type { BlobFault, BlobFaultKind } from '../events/schema.js';
import { Command } from '../protocol/codes.js';
import {
  type ControlFrame,
  controlCode,
  decodeControlFrame,
  encodeNodeIdMap,
  isControlFrame,
  type TableStructure,
} from '../protocol/control-frame.js';
import { BufferRecycler } from '../protocol/frame-buffers.js';
import { rewriteTxnFrameInPlace, TAIL_ROOM } from '../protocol/rewrite.js';
import { summarizeTxnFrame } from '../protocol/txn-frame.js';
import { faultedChunk, faultOf } from './blob-faults.js';
import type { BuiltFrame, FrameSource } from './synthetic.js';

export type PaceBy = 'arrival' | 'txn-time';

export interface ReplayOptions {
  /** Connection of the capture to replay (default: the one with the most transaction frames). */
  connection?: number;
  /** 1 = captured pace, 4 = four times faster, Infinity = flat out. */
  speed: number;
  /**
   * The clock the pace follows: 'arrival' (default) when each frame reached the capture, 'txn-time' the frames'
   * own transaction times (a backlog's writes as they were made, not as the catch-up burst delivered them).
   */
  paceBy?: PaceBy;
  /** Longest idle gap kept from the capture (ms). */
  maxGapMs?: number;
  loops: number;
  /**
   * --duration: loop the capture (--loop is then ignored) until its frames are due this long after the first (a
   * paced replay), or for `frameLimit` frames (--rate: the frames the rate sends in that time).
   */
  durationMs?: number;
  frameLimit?: number;
  /** Skip the first N data frames (resume after a failed replay). */
  fromFrame: number;
  /** New increasing versions, one per frame (default); false keeps the captured versions. */
  retime: boolean;
  /** 'capture' keeps the captured origins; any other value attributes every record to that node name. */
  origin: string;
  tables?: string[];
  excludeTables?: string[];
  /** Captured blobs re-sent wrong on purpose (--blob-faults): blob n is the connection's nth fileId. */
  blobFaults?: readonly BlobFault[];
}

/** Where a BLOB_CHUNK sits in its blob: the blob's ordinal in the connection (1-based), bytes before it, first or not. */
interface BlobChunkPlace {
  n: number;
  passed: number;
  first: boolean;
}

interface Control {
  offset: number;
  /** Index of the data frame this control frame precedes (frames.length = after the last). */
  before: number;
  code: number;
  tableId?: number;
  /** A BLOB_CHUNK: its blob's ordinal in the connection (1-based) and the bytes its earlier chunks carried. */
  blob?: BlobChunkPlace;
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
  /** Each data frame's payload length: the frame is then read in one call, head and trailer with it. */
  readonly lengths: number[] = [];
  readonly records: number[] = [];
  readonly times: number[] = [];
  /** Each frame's transaction time (µs, like `times`): the pace of --pace-by txn-time. */
  readonly txnTimes: number[] = [];
  readonly tails: number[] = [];
  readonly controls: Control[] = [];
  readonly acks: Array<{ timeUs: number; seq: number }> = [];
  /** Table structures this connection announced (the last one of each table id). */
  readonly tables = new Map<number, CapturedTable>();
  nodeIds: Record<string, number> = {};
  /** The database the receiver subscribed to (its NODE_NAME), when the capture holds it. */
  database?: string;
  bytes = 0;
  largest = 0;
  /** Each blob's ordinal (order of first chunk) and bytes seen so far, by fileId. */
  private readonly blobs = new Map<string, { n: number; passed: number }>();

  constructor(readonly connection: number) {}

  get blobCount(): number {
    return this.blobs.size;
  }

  /** The receiver's frames: its NODE_NAME names the database; its COMMITTED_UPDATEs are the original acks. */
  addFromReceiver(record: CaptureRecord): void {
    const code = controlCode(record.payload);
    if (code === Command.NODE_NAME && this.database === undefined) {
      const frame = tryDecode(record.payload);
      if (frame?.type === 'NODE_NAME' && frame.database) this.database = frame.database;
    }
    if (code !== Command.COMMITTED_UPDATE) return;
    const frame = tryDecode(record.payload);
    if (frame?.type === 'COMMITTED_UPDATE' && frame.sequenceId)
      this.acks.push({ timeUs: record.timeUs, seq: frame.sequenceId });
  }

  /** `check` throws when the record's checksum fails (its check was deferred to the send, see indexCapture). */
  addData(record: CaptureRecord, check: () => void): void {
    let summary: ReturnType<typeof summarizeTxnFrame>;
    try {
      summary = summarizeTxnFrame(record.payload);
    } catch {
      // A damaged frame is an error; an intact undecodable one is not replayed (inspect names it).
      check();
      return;
    }
    this.offsets.push(record.offset);
    this.lengths.push(record.payload.length);
    this.records.push(summary.entryCount);
    this.times.push(record.timeUs);
    this.txnTimes.push(summary.txnTime * 1000);
    this.tails.push(summary.sequenceId ?? Number.NaN);
    this.bytes += record.payload.length;
    this.largest = Math.max(this.largest, record.payload.length);
  }

  /** A data frame the footer's frame index describes (its payload was not read). */
  addIndexed(record: CaptureRecord, frame: IndexedFrame): void {
    this.offsets.push(record.offset);
    this.lengths.push(frame.length);
    this.records.push(frame.entries);
    this.times.push(record.timeUs);
    this.txnTimes.push(frame.txnTime * 1000);
    this.tails.push(frame.tail ?? Number.NaN);
    this.bytes += frame.length;
    this.largest = Math.max(this.largest, frame.length);
  }

  /** Control frames a replay re-sends in place; table structures and node ids are kept for the connection. */
  addControl(record: CaptureRecord): void {
    const code = controlCode(record.payload);
    if (code === undefined || !REPLAYED_CONTROLS.has(code)) return;
    const control: Control = { offset: record.offset, before: this.offsets.length, code };
    if (code === Command.TABLE_FIXED_STRUCTURE) {
      const frame = tryDecode(record.payload);
      if (frame?.type === 'TABLE_FIXED_STRUCTURE') {
        control.tableId = frame.tableId;
        this.tables.set(frame.tableId, {
          tableId: frame.tableId,
          name: frame.tableName,
          structure: frame.structure,
        });
      }
    }
    if (code === Command.NODE_NAME_TO_ID_MAP) {
      const frame = tryDecode(record.payload);
      if (frame?.type === 'NODE_NAME_TO_ID_MAP') this.nodeIds = { ...this.nodeIds, ...frame.nodeIds };
    }
    if (code === Command.BLOB_CHUNK) {
      const frame = tryDecode(record.payload);
      if (frame?.type === 'BLOB_CHUNK') {
        const known = this.blobs.get(frame.header.fileId);
        const blob = known ?? { n: this.blobs.size + 1, passed: 0 };
        this.blobs.set(frame.header.fileId, blob);
        control.blob = { n: blob.n, passed: blob.passed, first: !known };
        blob.passed += frame.chunk.length;
      }
    }
    this.controls.push(control);
  }
}

/** Everything one streaming pass over a capture learns: the header's facts and each connection's index. */
export interface CaptureIndex {
  database?: string;
  sourceNodeName?: string;
  truncated: boolean;
  connections: Map<number, ConnectionIndex>;
  /** When the last record was captured (epoch ms): the captured versions are all before it. */
  endedAtMs: number;
}

/** Reads per step when a frame index lets the scan skip data frames: the records between them are small. */
const INDEXED_SCAN_CHUNK = 64 * 1024;

/** The footer's frame index does not describe the file (it was edited): scan it whole instead. */
class IndexMismatch extends Error {}

async function indexCapture(path: string): Promise<CaptureIndex> {
  const reader = await CaptureReader.open(path);
  try {
    const known = parseFrameIndex((await reader.footer())?.frameIndex);
    if (known) {
      try {
        return await scanCapture(reader, known);
      } catch (error) {
        if (!(error instanceof IndexMismatch)) throw error;
      }
    }
    return await scanCapture(reader);
  } finally {
    await reader.close();
  }
}

/**
 * One pass over the capture's records. With a frame index (a finalized capture's footer), the data frames it lists
 * are taken from it, their payloads not read: the pass reads only what lies between them.
 */
async function scanCapture(reader: CaptureReader, known?: Map<number, IndexedFrame>): Promise<CaptureIndex> {
  const connections = new Map<number, ConnectionIndex>();
  const index: CaptureIndex = {
    database: typeof reader.header.database === 'string' ? reader.header.database : undefined,
    sourceNodeName: reader.header.source?.nodeName,
    truncated: false,
    connections,
    endedAtMs: reader.header.startedAtMs,
  };
  // Borrowed payloads (one reused read buffer): a data frame leaves only numbers in the index; the small
  // frames whose decoded parts are kept get their own copy. A data frame's checksum is checked when the frame
  // is read to be sent (payloadAt), not here: this pass is before the first byte goes out.
  const deferCheck = (kind: number, direction: number, payload: Buffer) =>
    kind === RecordKind.MESSAGE && direction === Direction.FROM_SOURCE && !isControlFrame(payload);
  const scan = known
    ? { headOnly: (offset: number, length: number) => known.get(offset)?.length === length }
    : {};
  const chunk = known ? { chunkBytes: INDEXED_SCAN_CHUNK } : {};
  for await (const record of reader.records({ borrow: true, deferCheck, ...scan, ...chunk })) {
    index.endedAtMs = Math.max(index.endedAtMs, reader.header.startedAtMs + record.timeUs / 1000);
    if (record.kind !== RecordKind.MESSAGE) continue;
    const c = connections.get(record.connection) ?? new ConnectionIndex(record.connection);
    connections.set(record.connection, c);
    const owned = () => ({ ...record, payload: Buffer.from(record.payload) });
    if (record.skipped) c.addIndexed(record, indexedFrame(record, known!));
    else if (record.direction === Direction.TO_SOURCE) c.addFromReceiver(owned());
    else if (!isControlFrame(record.payload)) c.addData(record, () => reader.checkCurrent());
    else c.addControl(owned());
  }
  index.truncated = reader.status.truncated || !reader.status.complete;
  return index;
}

/** The index's entry for a skipped record, which must be a data frame from the source as the file says. */
function indexedFrame(record: CaptureRecord, known: Map<number, IndexedFrame>): IndexedFrame {
  const frame = known.get(record.offset)!;
  const matches =
    record.direction === Direction.FROM_SOURCE &&
    frame.connection === record.connection &&
    frame.timeUs === record.timeUs;
  if (!matches) throw new IndexMismatch();
  return frame;
}

/**
 * Due times (ms after the first data frame of any of the connections) of each connection's data frames, on one
 * merged clock: the captured offsets with every idle gap between consecutive frames (of whichever connection)
 * capped at maxGap, divided by the speed. One clock keeps the captured interleaving of the connections.
 */
export function mergedSchedule(times: number[][], speed: number, maxGapMs?: number): number[][] {
  const order = times
    .flatMap((list, c) => list.map((time, i) => ({ time, c, i })))
    .sort((a, b) => a.time - b.time);
  const due = times.map((list) => new Array<number>(list.length).fill(0));
  let at = 0;
  order.forEach((frame, k) => {
    if (k > 0) {
      const gap = (frame.time - order[k - 1]!.time) / 1000;
      at += Math.min(gap, maxGapMs ?? Number.POSITIVE_INFINITY) / speed;
    }
    due[frame.c]![frame.i] = at;
  });
  return due;
}

/** The captured times a replay paces by: arrival at the capture, or the frames' transaction times. */
function paceClock(c: ConnectionIndex, paceBy: PaceBy | undefined): number[] {
  return paceBy === 'txn-time' ? c.txnTimes : c.times;
}

export interface PaceSpans {
  arrivalMs: number;
  txnTimeMs: number;
}

/** One pass's span under either clock, from --from-frame on (one connection) or the whole capture (several). */
function paceSpans(chosen: ConnectionIndex[], options: ReplayOptions): PaceSpans {
  const speed = Number.isFinite(options.speed) ? options.speed : 1;
  const span = (paceBy: PaceBy) => {
    const due = mergedSchedule(
      chosen.map((c) => paceClock(c, paceBy)),
      speed,
      options.maxGapMs,
    );
    const first = chosen.length === 1 ? (due[0]![options.fromFrame] ?? 0) : 0;
    // reduce, not Math.max(...list): a capture's frames may outnumber what a call's arguments can hold.
    return due.reduce((most, list) => list.reduce((m, ms) => Math.max(m, ms), most), 0) - first;
  };
  const ms = (value: number) => Math.round(value * 1000) / 1000;
  return { arrivalMs: ms(span('arrival')), txnTimeMs: ms(span('txn-time')) };
}

/** The window of the merged clock one loop covers (ms), shared by the sources of one replay. */
interface LoopWindow {
  firstMs: number;
  lastMs: number;
}

/**
 * The connections a replay sends: the one asked for, else every connection with transaction frames — one per
 * database (the busiest when several carried the same one; the others are named in `leftOut`).
 */
export class ReplayCapture {
  readonly leftOut: Array<{ connection: number; database?: string; frames: number }> = [];
  /** The span one pass would take paced by each clock (at --speed; at 1x when flat out or --rate). */
  paceSpans: PaceSpans = { arrivalMs: 0, txnTimeMs: 0 };

  private constructor(
    readonly path: string,
    readonly sources: ReplaySource[],
    readonly truncated: boolean,
    readonly database: string | undefined,
    /** The pass over the file this replay was built from: another replay of the same file can reuse it. */
    readonly index: CaptureIndex,
  ) {}

  /**
   * Indexes the capture (one streaming pass; none when `known` is that of an earlier open of the same file) and
   * opens a source per replayed connection.
   */
  static async open(path: string, options: ReplayOptions, known?: CaptureIndex): Promise<ReplayCapture> {
    const index = known ?? (await indexCapture(path));
    const chosen = chooseConnections(path, index, options.connection);
    const due = mergedSchedule(
      chosen.map((c) => paceClock(c, options.paceBy)),
      options.speed,
      options.maxGapMs,
    );
    // One connection keeps its own window from --from-frame; several share the whole capture's.
    const window: LoopWindow =
      chosen.length === 1
        ? { firstMs: due[0]![options.fromFrame] ?? 0, lastMs: due[0]!.at(-1)! }
        : { firstMs: 0, lastMs: Math.max(...due.map((list) => list.at(-1)!)) };
    const sources: ReplaySource[] = [];
    try {
      for (const [k, c] of chosen.entries())
        sources.push(await ReplaySource.fromIndex(path, options, index, c, due[k]!, window));
    } catch (caught) {
      for (const source of sources) await source.close();
      throw caught;
    }
    const capture = new ReplayCapture(path, sources, index.truncated, index.database, index);
    capture.paceSpans = paceSpans(chosen, options);
    if (options.connection === undefined) {
      const replayed = new Set(chosen);
      for (const c of index.connections.values())
        if (!replayed.has(c) && c.offsets.length)
          capture.leftOut.push({ connection: c.connection, database: c.database, frames: c.offsets.length });
    }
    return capture;
  }

  /** The tool's node name (origin 'self') and the version / sequence bases of this run, for every source. */
  start(toolNodeName: string, now = Date.now(), sequenceBase = now): this {
    for (const source of this.sources) source.start(toolNodeName, now, sequenceBase);
    return this;
  }

  get frameCount(): number {
    return this.sources.reduce((sum, s) => sum + s.frameCount, 0);
  }

  get totalRecords(): number {
    return this.sources.reduce((sum, s) => sum + s.totalRecords, 0);
  }

  /** Bytes of transaction frames in one pass. */
  get bytes(): number {
    return this.sources.reduce((sum, s) => sum + s.bytes, 0);
  }

  get largestFrame(): number {
    return Math.max(...this.sources.map((s) => s.largestFrame));
  }

  /** When the last frame of any connection is due (ms), or null when flat out. */
  get scheduledDurationMs(): number | null {
    const each = this.sources.map((s) => s.scheduledDurationMs);
    return each.some((ms) => ms === null) ? null : Math.max(...(each as number[]));
  }

  async close(): Promise<void> {
    for (const source of this.sources) await source.close();
  }
}

/** The connection asked for, or every connection with data frames, one per database (the busiest). */
function chooseConnections(
  path: string,
  index: CaptureIndex,
  connection: number | undefined,
): ConnectionIndex[] {
  if (connection !== undefined) {
    const c = index.connections.get(connection);
    if (!c || c.offsets.length === 0) throw missingConnection(path, index, connection);
    return [c];
  }
  const busiest = new Map<string, ConnectionIndex>();
  for (const c of index.connections.values()) {
    if (c.offsets.length === 0) continue;
    const key = c.database ?? index.database ?? '';
    const held = busiest.get(key);
    if (!held || c.offsets.length > held.offsets.length) busiest.set(key, c);
  }
  if (busiest.size === 0)
    throw new Error(
      `${path}: no transaction frames from the source on connection ${index.connections.keys().next().value ?? 1}`,
    );
  return [...busiest.values()].sort((a, b) => a.connection - b.connection);
}

/** One captured connection as a frame source: its data frames with their controls, rebuilt on demand. */
export class ReplaySource implements FrameSource {
  private offsets: number[] = [];
  private lengths: number[] = [];
  private records: number[] = [];
  private dueMs: number[] = [];
  /** --duration: the frame count, once worked out. */
  private timedFrames?: number;
  private controls: Control[] = [];
  private window: LoopWindow = { firstMs: 0, lastMs: 0 };
  private file?: FileHandle;
  readonly tables = new Map<number, CapturedTable>();
  nodeIds: Record<string, number> = {};
  originalAcks: LatencySummary = { count: 0, p50: null, p99: null, max: null };
  connection = 1;
  sourceNodeName?: string;
  /** The database this connection subscribed to (else the capture's). */
  database?: string;
  bytes = 0;
  /** The largest transaction frame to replay (bytes): checked against what the target accepts. */
  largestFrame = 0;
  truncated = false;
  /** Distinct blobs (fileIds) the connection's chunks carry. */
  blobCount = 0;
  private originName = '';
  private baseVersion = 0;
  private baseSequence = 0;
  /** Data frames are read into buffers the socket hands back once it wrote them (see release). */
  private readonly frameBuffers = new BufferRecycler();
  /** The read of the next frame, begun by the last build (see readFor). */
  private readAhead?: { position: number; read: Promise<Buffer> };

  private constructor(
    readonly path: string,
    readonly options: ReplayOptions,
  ) {}

  /** Indexes the capture (one streaming pass) and opens one connection: the asked one, else the busiest. */
  static async open(path: string, options: ReplayOptions): Promise<ReplaySource> {
    const index = await indexCapture(path);
    const chosen =
      options.connection ??
      [...index.connections.entries()].sort((a, b) => b[1].offsets.length - a[1].offsets.length)[0]?.[0] ??
      1;
    const c = index.connections.get(chosen);
    if (!c || c.offsets.length === 0) {
      if (options.connection !== undefined) throw missingConnection(path, index, options.connection);
      throw new Error(`${path}: no transaction frames from the source on connection ${chosen}`);
    }
    const due = mergedSchedule([paceClock(c, options.paceBy)], options.speed, options.maxGapMs)[0]!;
    const window = { firstMs: due[options.fromFrame] ?? 0, lastMs: due.at(-1)! };
    return ReplaySource.fromIndex(path, options, index, c, due, window);
  }

  /** A source over an indexed connection, with its due times on the replay's clock. */
  static async fromIndex(
    path: string,
    options: ReplayOptions,
    index: CaptureIndex,
    c: ConnectionIndex,
    dueMs: number[],
    window: LoopWindow,
  ): Promise<ReplaySource> {
    const source = new ReplaySource(path, options);
    source.connection = c.connection;
    source.database = c.database ?? index.database;
    source.sourceNodeName = index.sourceNodeName;
    source.truncated = index.truncated;
    source.offsets = c.offsets;
    source.lengths = c.lengths;
    source.records = c.records;
    source.controls = c.controls;
    source.bytes = c.bytes;
    source.largestFrame = c.largest;
    source.blobCount = c.blobCount;
    source.dueMs = dueMs;
    source.window = window;
    source.originalAcks = originalAckLatency(c.times, c.tails, c.acks);
    // A connection's frames refer to its own structures and node ids; one without any falls back to the capture's.
    const donors = c.tables.size ? [c] : [...index.connections.values()];
    for (const donor of donors)
      for (const [id, table] of donor.tables) if (!source.tables.has(id)) source.tables.set(id, table);
    const idDonors = Object.keys(c.nodeIds).length ? [c] : [...index.connections.values()];
    for (const donor of idDonors) source.nodeIds = { ...source.nodeIds, ...donor.nodeIds };
    source.file = await open(path, 'r');
    return source;
  }

  /** The tool's node name (origin 'self') and the version / sequence bases of this run. */
  start(toolNodeName: string, now = Date.now(), sequenceBase = now): this {
    this.originName = this.options.origin === 'self' ? toolNodeName : this.options.origin;
    this.baseVersion = now;
    this.baseSequence = sequenceBase;
    return this;
  }

  /** Data frames in one pass of the capture (after --from-frame). */
  get framesPerLoop(): number {
    return this.offsets.length - this.options.fromFrame;
  }

  get frameCount(): number {
    const perLoop = Math.max(0, this.framesPerLoop);
    if (this.options.durationMs === undefined) return perLoop * this.options.loops;
    this.timedFrames ??= perLoop ? this.framesWithinDuration(this.options.durationMs) : 0;
    return this.timedFrames;
  }

  /** Passes over the capture the replay makes (the last one partly, with --duration). */
  get loopCount(): number {
    return this.framesPerLoop > 0 ? Math.ceil(this.frameCount / this.framesPerLoop) : 0;
  }

  get totalRecords(): number {
    let pass = 0;
    for (let i = this.options.fromFrame; i < this.records.length; i++) pass += this.records[i]!;
    const full = Math.floor(this.frameCount / Math.max(1, this.framesPerLoop));
    let partial = 0;
    for (let i = full * this.framesPerLoop; i < this.frameCount; i++) partial += this.recordsIn(i);
    return pass * full + partial;
  }

  /**
   * --duration: the frames before the first one due at or after `durationMs` (paced), or the --rate's frame count.
   * Looked for from the loop the duration ends in, not frame by frame from the start (a soak may loop a long time).
   */
  private framesWithinDuration(durationMs: number): number {
    if (this.options.frameLimit !== undefined) return this.options.frameLimit;
    if (!Number.isFinite(this.options.speed)) {
      throw new Error('--duration needs a pace: --speed 1x (or 4x …) or --rate, not --speed max');
    }
    const span = this.window.lastMs - this.window.firstMs;
    if (!(span > 0)) {
      throw new Error(
        `${this.path}: one pass of the capture takes no time, so it cannot be looped for --duration`,
      );
    }
    const perLoop = this.framesPerLoop;
    for (let loop = Math.max(0, Math.floor(durationMs / span) - 1); ; loop++) {
      for (let j = 0; j < perLoop; j++) {
        const index = loop * perLoop + j;
        if (this.due(index)! >= durationMs) return index;
      }
    }
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
    const { firstMs, lastMs } = this.window;
    const loop = Math.floor(index / this.framesPerLoop);
    return loop * (lastMs - firstMs) + (this.dueMs[this.captured(index)]! - firstMs);
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

  /** Names of the captured tables whose entries are sent (--tables / --exclude-tables applied). */
  keptTables(): string[] {
    return [...this.tables].filter(([id]) => this.keepTable(id)).map(([, table]) => table.name);
  }

  private get filtering(): boolean {
    return Boolean(this.options.tables?.length || this.options.excludeTables?.length);
  }

  /**
   * The payload of the (control) record at `offset`. Its checksum is checked here, as every record's read to be
   * sent: a damaged frame is a bad input (exit 6) when it is about to be sent, and nothing of it goes out.
   */
  private async payloadAt(offset: number): Promise<Buffer> {
    const head = Buffer.allocUnsafe(RECORD_HEAD_LENGTH);
    await this.readFully(head, RECORD_HEAD_LENGTH, offset);
    const length = head.readUInt32BE(15);
    const rest = Buffer.allocUnsafe(length + RECORD_TRAILER_LENGTH);
    await this.readFully(rest, rest.length, offset + RECORD_HEAD_LENGTH);
    this.check(head, rest, offset);
    return rest.subarray(0, length);
  }

  /**
   * Data frame `position`'s payload with TAIL_ROOM spare bytes after it (for an in-place tail; the trailer lies
   * there first), read with its head and trailer in one call (the index knows its length) into a recycled buffer,
   * its checksum checked (the index deferred it to here).
   */
  private async dataFrameAt(position: number, read = this.readDataFrame(position)): Promise<Buffer> {
    const offset = this.offsets[position]!;
    const length = this.lengths[position]!;
    const buffer = await read;
    const payload = buffer.subarray(RECORD_HEAD_LENGTH);
    this.check(
      buffer.subarray(0, RECORD_HEAD_LENGTH),
      payload.subarray(0, length + RECORD_TRAILER_LENGTH),
      offset,
    );
    return payload.subarray(0, length + TAIL_ROOM);
  }

  /** Data frame `position`'s record (head, payload, trailer) read into a recycled buffer, its head checked. */
  private async readDataFrame(position: number): Promise<Buffer> {
    const length = this.lengths[position]!;
    const buffer = this.frameBuffers.take(
      RECORD_HEAD_LENGTH + length + Math.max(TAIL_ROOM, RECORD_TRAILER_LENGTH),
    );
    await this.readFully(
      buffer,
      RECORD_HEAD_LENGTH + length + RECORD_TRAILER_LENGTH,
      this.offsets[position]!,
    );
    // A head that no longer says what the index read: the file was rewritten under the replay.
    if (buffer.readUInt32BE(15) !== length) throw this.shrunk();
    return buffer;
  }

  /**
   * The data frame read for `build(index)`: the one begun by the previous build when it is this frame's, or a new
   * read. Then the read of the frame after it begins, so that it runs (in libuv's threads) while this one is
   * checked, rewritten and sent: the stream builds the next frame only once this one is queued.
   */
  private readFor(index: number, position: number): Promise<Buffer> {
    const read = this.readAhead?.position === position ? this.readAhead.read : this.readDataFrame(position);
    // Awaited by the build after its controls: a control that fails first must not leave this one unhandled.
    read.catch(() => {});
    this.readAhead = undefined;
    if (index + 1 < this.frameCount) {
      const next = this.captured(index + 1);
      this.readAhead = { position: next, read: this.readDataFrame(next) };
      // Its failure surfaces in the build that uses it; one no build uses is dropped with its buffer.
      this.readAhead.read.catch(() => {});
    }
    return read;
  }

  /** Reads `length` bytes at `position` into the start of `target`; a file that ends first has shrunk. */
  private async readFully(target: Buffer, length: number, position: number): Promise<void> {
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.file!.read(target, filled, length - filled, position + filled);
      if (bytesRead === 0) throw this.shrunk();
      filled += bytesRead;
    }
  }

  private check(head: Buffer, rest: Buffer, offset: number): void {
    try {
      checkRecord(head, rest, offset);
    } catch (caught) {
      throw new HarperReplayError(
        `${this.path}: ${(caught as Error).message}: the capture is damaged`,
        ExitCode.BAD_INPUT,
      );
    }
  }

  private shrunk(): HarperReplayError {
    return new HarperReplayError(
      `${this.path} shrank or was rewritten while it was replayed: replay it again once nothing writes to it`,
      ExitCode.BAD_INPUT,
    );
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

  /** The first control frame that precedes a data frame after `position` (controls are in capture order). */
  private firstControlAfter(position: number): number {
    let low = 0;
    let high = this.controls.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.controls[mid]!.before <= position) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /**
   * A shard's frame after its previous one: the table structures and residency lists of the frames skipped in
   * between go first (their blob chunks belong to those frames, not this one).
   */
  async buildAfter(index: number, previous: number): Promise<BuiltFrame> {
    const frame = await this.build(index);
    if (previous === index - 1) return frame;
    const carried = await this.carriedControls(index, previous);
    return carried.length ? { ...frame, before: [...carried, ...(frame.before ?? [])] } : frame;
  }

  /** Structure and residency controls of the frames strictly between replay frames `previous` and `index`. */
  private async carriedControls(index: number, previous: number): Promise<Buffer[]> {
    const to = this.captured(index);
    const from = this.captured(previous);
    // What build(index) sends itself: the controls after frame to − 1 (from the start for a loop's first frame).
    const ownFrom = to === this.options.fromFrame ? -1 : to - 1;
    const loops = Math.floor(index / this.framesPerLoop) - Math.floor(previous / this.framesPerLoop);
    const skipped = (before: number) =>
      loops === 0 ? before > from && before <= ownFrom : loops > 1 || before > from || before <= ownFrom;
    const out: Buffer[] = [];
    for (const control of this.controls) {
      if (!skipped(control.before)) continue;
      const structure =
        control.code === Command.TABLE_FIXED_STRUCTURE &&
        control.tableId !== undefined &&
        this.keepTable(control.tableId);
      if (structure || control.code === Command.RESIDENCY_LIST)
        out.push(await this.payloadAt(control.offset));
    }
    return out;
  }

  async build(index: number): Promise<BuiltFrame> {
    const position = this.captured(index);
    const read = this.readFor(index, position);
    const previous = position === this.options.fromFrame ? -1 : position - 1;
    const before: Buffer[] = [];
    const after: Buffer[] = [];
    let blobs = 0;
    let blobBytes = 0;
    const faults: Partial<Record<BlobFaultKind, number>> = {};
    for (let k = this.firstControlAfter(previous); k < this.controls.length; k++) {
      const control = this.controls[k]!;
      if (control.code === Command.NODE_NAME_TO_ID_MAP) continue;
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
      const sent = control.blob ? this.faulted(payload, control.blob, faults) : [payload];
      (control.before > position ? after : before).push(...sent);
    }
    // Read once into a buffer with room for the tail, rewritten where it lies (a copy only when entries move).
    const data = await this.dataFrameAt(position, read);
    const rewritten = rewriteTxnFrameInPlace(data, data.length - TAIL_ROOM, {
      version: this.options.retime ? this.baseVersion + index / 1000 : undefined,
      sequenceId: this.sequenceId(index),
      nodeId: this.options.origin === 'capture' ? undefined : () => 0,
      keepTable: this.filtering ? this.keepTable : undefined,
    });
    this.frameBuffers.handOut(rewritten.frame);
    return {
      index,
      data: rewritten.frame,
      before,
      records: rewritten.entries,
      sequenceId: this.sequenceId(index),
      blobChunks: after,
      blobs,
      blobBytes,
      ...(Object.keys(faults).length ? { blobFaults: faults } : {}),
    };
  }

  /** A captured blob chunk as --blob-faults sends it; a faulted blob is counted once, at its first chunk. */
  private faulted(
    payload: Buffer,
    blob: BlobChunkPlace,
    counts: Partial<Record<BlobFaultKind, number>>,
  ): Buffer[] {
    const kind = faultOf(this.options.blobFaults ?? [], blob.n);
    if (kind === undefined) return [payload];
    const frame = tryDecode(payload);
    if (frame?.type !== 'BLOB_CHUNK') return [payload];
    if (blob.first) counts[kind] = (counts[kind] ?? 0) + 1;
    return faultedChunk(kind, payload, frame.header, frame.chunk, blob.passed);
  }

  /** A frame the socket has written: its buffer may take a later frame. */
  release(frame: Pick<BuiltFrame, 'data'>): void {
    this.frameBuffers.recycle(frame.data);
  }

  async close(): Promise<void> {
    // A read begun for a frame never built still holds the file.
    await this.readAhead?.read.catch(() => {});
    this.readAhead = undefined;
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

/** --connection naming one the capture has no source frames on: a usage error listing those it has. */
function missingConnection(path: string, index: CaptureIndex, connection: number): HarperReplayError {
  const have = [...index.connections.entries()].filter(([, c]) => c.offsets.length > 0).map(([id]) => id);
  return new HarperReplayError(
    `--connection ${connection}: ${path} has no transaction frames from the source on it (it has: ${have.join(', ') || 'none'})`,
    ExitCode.USAGE,
  );
}
