/**
 * ReplaySource on the committed captures and on captures written here with a known clock and content: which
 * connection is replayed, the schedule (speed, capped gaps, loops, --from-frame), the rebuilt frames (tails,
 * versions, origins, table filters), the control frames re-sent in their captured order, the preamble of a resumed
 * stream, the capture's own ack latency, and the errors for captures with nothing to replay.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pack } from 'msgpackr';
import {
  Direction,
  encodeRecordHead,
  RECORD_HEAD_LENGTH,
  RECORD_TRAILER_LENGTH,
  RecordKind,
  recordChecksum,
} from '../../../src/capture/format.js';
import { CaptureReader } from '../../../src/capture/reader.js';
import { CaptureWriter } from '../../../src/capture/writer.js';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { Command } from '../../../src/protocol/codes.js';
import {
  decodeControlFrame,
  encodeCommittedUpdate,
  encodeControl,
  encodeNodeIdMap,
  encodeNodeName,
  encodeTableStructure,
  isControlFrame,
} from '../../../src/protocol/control-frame.js';
import { decodeTxnFrame, summarizeTxnFrame, TxnFrameWriter } from '../../../src/protocol/txn-frame.js';
import { INJECTED_ERROR, parseBlobFaults } from '../../../src/workload/blob-faults.js';
import {
  mergedSchedule,
  ReplayCapture,
  type ReplayOptions,
  ReplaySource,
} from '../../../src/workload/replay-source.js';
import { ShardedSource, stripeFrames } from '../../../src/workload/sharded-source.js';
import type { BuiltFrame } from '../../../src/workload/synthetic.js';
import { writeTimedCapture } from '../../helpers/synthetic-capture.js';
import { makeHeader, tempDir } from '../capture/support.js';

const committed = (name: string) => fileURLToPath(new URL(`../../../../captures/${name}`, import.meta.url));

const OPTIONS: ReplayOptions = { speed: 1, loops: 1, fromFrame: 0, retime: true, origin: 'capture' };

/** Opens a source, runs `fn`, always closes it. */
async function withSource<T>(
  path: string,
  options: Partial<ReplayOptions>,
  fn: (source: ReplaySource) => Promise<T> | T,
): Promise<T> {
  const source = await ReplaySource.open(path, { ...OPTIONS, ...options });
  try {
    return await fn(source);
  } finally {
    await source.close();
  }
}

/** The source → receiver messages of one connection, read independently of the code under test. */
async function captured(
  path: string,
  connection?: number,
): Promise<Array<{ timeUs: number; payload: Buffer }>> {
  const reader = await CaptureReader.open(path);
  const out: Array<{ timeUs: number; payload: Buffer }> = [];
  try {
    for await (const record of reader.records()) {
      if (record.kind !== RecordKind.MESSAGE || record.direction !== Direction.FROM_SOURCE) continue;
      if (connection !== undefined && record.connection !== connection) continue;
      out.push({ timeUs: record.timeUs, payload: Buffer.from(record.payload) });
    }
  } finally {
    await reader.close();
  }
  return out;
}

const REPLAYED_CONTROLS = new Set<number>([
  Command.TABLE_FIXED_STRUCTURE,
  Command.RESIDENCY_LIST,
  Command.BLOB_CHUNK,
]);
const commandOf = (payload: Buffer) => (payload[1] === 0xcc ? payload[2]! : payload[1]!);
const hex = (payload: Uint8Array) => Buffer.from(payload).toString('hex');

/** What a receiver gets from builds first..last-1, in order: control frames by bytes, data frames by entries. */
async function replayed(source: ReplaySource, first: number, last: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = first; i < last; i++) {
    const frame: BuiltFrame = await source.build(i);
    for (const control of frame.before ?? []) out.push(`control ${hex(control)}`);
    out.push(`data ${summarizeTxnFrame(frame.data).entryCount}`);
    for (const control of frame.blobChunks) out.push(`control ${hex(control)}`);
  }
  return out;
}

/** A table entry for a custom capture: `count` puts into `tableId` from `nodeId`. */
function frame(
  options: {
    tableId?: number;
    nodeId?: number;
    count?: number;
    version?: number;
    tail?: number;
    firstKey?: number;
  } = {},
): Buffer {
  const writer = new TxnFrameWriter().begin(options.version ?? 1_700_000_000_000);
  for (let k = 0; k < (options.count ?? 1); k++) {
    const key = (options.firstKey ?? 1) + k;
    writer.addEntry(
      {
        type: 'put',
        nodeId: options.nodeId ?? 0,
        tableId: options.tableId ?? 1,
        key,
        version: options.version ?? 1_700_000_000_000,
      },
      pack({ id: key }),
    );
  }
  return writer.finish(options.tail);
}

const structure = (tableId: number, name: string, attribute = 'id') =>
  encodeTableStructure(
    {
      typedStructs: [],
      structures: [],
      attributes: [{ name: attribute, isPrimaryKey: true }],
      schemaDefined: false,
    },
    tableId,
    name,
  );

interface Written {
  direction?: 0 | 1;
  connection?: number;
  timeUs: number;
  payload: Buffer;
}

async function writeCapture(path: string, records: Written[]): Promise<string> {
  const writer = await CaptureWriter.create(
    path,
    makeHeader({ database: 'zoo', source: { url: 'ws://src/', nodeName: 'src-node' } }),
  );
  for (const record of records) {
    writer.message(
      record.direction ?? Direction.FROM_SOURCE,
      record.connection ?? 1,
      record.payload,
      2,
      record.timeUs,
    );
  }
  await writer.close({ endedAtMs: Date.now(), structures: [], reason: 'test' });
  return path;
}

const files = tempDir();
after(files.cleanup);

describe('ReplaySource on catchup-40x500', () => {
  const path = committed('catchup-40x500.hrcap');
  let frames: Array<{ timeUs: number; payload: Buffer }>;
  before(async () => {
    frames = (await captured(path)).filter((m) => !isControlFrame(m.payload));
  });

  it('indexes the source’s transaction frames: counts, bytes, largest frame, header fields', async () => {
    const reader = await CaptureReader.open(path);
    const header = reader.header;
    await reader.close();
    await withSource(path, {}, (source) => {
      assert.equal(frames.length, 42);
      assert.equal(source.connection, 1);
      assert.equal(source.framesPerLoop, 42);
      assert.equal(source.database, header.database);
      assert.equal(source.sourceNodeName, header.source.nodeName);
      assert.equal(source.truncated, false);
      assert.equal(
        source.bytes,
        frames.reduce((sum, m) => sum + m.payload.length, 0),
      );
      assert.equal(source.largestFrame, Math.max(...frames.map((m) => m.payload.length)));
      const recordCounts = frames.map((m) => summarizeTxnFrame(m.payload).entryCount);
      assert.equal(
        source.totalRecords,
        recordCounts.reduce((a, b) => a + b, 0),
      );
      for (let i = 0; i < 42; i++) assert.equal(source.recordsIn(i), recordCounts[i], `frame ${i}`);
    });
  });

  const schedules: Array<{ what: string; options: Partial<ReplayOptions>; gap: (us: number) => number }> = [
    { what: 'captured pace', options: { speed: 1 }, gap: (us) => us / 1000 },
    { what: 'four times faster', options: { speed: 4 }, gap: (us) => us / 1000 / 4 },
    { what: 'gaps capped at 5 ms', options: { speed: 1, maxGapMs: 5 }, gap: (us) => Math.min(us / 1000, 5) },
    {
      what: 'capped, then twice faster',
      options: { speed: 2, maxGapMs: 5 },
      gap: (us) => Math.min(us / 1000, 5) / 2,
    },
  ];
  for (const { what, options, gap } of schedules) {
    it(`due times follow the captured clock: ${what}`, async () => {
      let expected = 0;
      const dues = frames.map((m, i) => {
        if (i > 0) expected += gap(m.timeUs - frames[i - 1]!.timeUs);
        return expected;
      });
      await withSource(path, options, (source) => {
        for (let i = 0; i < frames.length; i++) {
          assert.ok(Math.abs(source.due(i)! - dues[i]!) < 1e-6, `frame ${i}: ${source.due(i)} vs ${dues[i]}`);
        }
        assert.equal(source.scheduledDurationMs, source.due(41));
      });
    });
  }

  it('flat out: no due times, no scheduled duration', async () => {
    await withSource(path, { speed: Number.POSITIVE_INFINITY }, (source) => {
      assert.equal(source.due(0), undefined);
      assert.equal(source.due(10), undefined);
      assert.equal(source.scheduledDurationMs, null);
    });
  });

  it('--from-frame skips captured frames: the upsert and the delete are left', async () => {
    await withSource(path, { fromFrame: 40, loops: 3 }, async (source) => {
      assert.equal(source.framesPerLoop, 2);
      assert.equal(source.frameCount, 6);
      assert.equal(source.recordsIn(0), 1, 'the upsert');
      assert.equal(source.recordsIn(1), 2, 'the delete of two ids');
      assert.equal(source.recordsIn(2), 1, 'the second loop starts again at frame 40');
      assert.equal(source.totalRecords, 3 * 3);
      assert.equal(source.due(0), 0);
      const built = decodeTxnFrame((await source.build(1)).data);
      assert.deepEqual(
        built.entries.map((entry) => [entry.type, entry.key]),
        [
          ['delete', 2],
          ['delete', 3],
        ],
      );
    });
  });

  it('--from-frame past the end: nothing to replay', async () => {
    await withSource(path, { fromFrame: 42 }, (source) => {
      assert.equal(source.framesPerLoop, 0);
      assert.equal(source.frameCount, 0);
      assert.equal(source.scheduledDurationMs, null);
    });
  });

  it('rebuilt frames carry the run’s tails, and, retimed, one new version per frame', async () => {
    const now = 1_800_000_000_000;
    await withSource(path, { loops: 2 }, async (source) => {
      source.start('tool-node', now);
      for (const index of [0, 1, 41, 42, 83]) {
        const built = await source.build(index);
        assert.equal(built.index, index);
        assert.equal(built.sequenceId, now + index + 1);
        assert.equal(source.sequenceId(index), now + index + 1);
        const decoded = decodeTxnFrame(built.data);
        assert.equal(decoded.sequenceId, now + index + 1, `frame ${index} tail`);
        assert.equal(decoded.txnTime, now + index / 1000);
        assert.ok(decoded.entries.every((entry) => entry.version === now + index / 1000));
        assert.equal(built.records, source.recordsIn(index));
        assert.equal(decoded.entries.length, built.records);
      }
    });
  });

  it('not retimed, the captured versions and entries are kept (only the tail is new)', async () => {
    await withSource(path, { retime: false }, async (source) => {
      source.start('tool-node', 5000);
      for (const index of [0, 17, 41]) {
        const original = decodeTxnFrame(frames[index]!.payload);
        const rebuilt = decodeTxnFrame((await source.build(index)).data);
        assert.equal(rebuilt.txnTime, original.txnTime);
        assert.deepEqual(rebuilt.entries, original.entries, `frame ${index}`);
        assert.equal(rebuilt.sequenceId, 5000 + index + 1);
      }
    });
  });
});

describe('ReplaySource on blobs-12x50k', () => {
  const path = committed('blobs-12x50k.hrcap');

  it('re-sends the table structure and every BLOB_CHUNK in their captured order around the data frames', async () => {
    const messages = await captured(path, 1);
    const expected = messages
      .filter((m) => !isControlFrame(m.payload) || REPLAYED_CONTROLS.has(commandOf(m.payload)))
      .map((m) =>
        isControlFrame(m.payload)
          ? `control ${hex(m.payload)}`
          : `data ${summarizeTxnFrame(m.payload).entryCount}`,
      );
    await withSource(path, { loops: 2 }, async (source) => {
      source.start('tool-node', 1);
      assert.equal(source.framesPerLoop, 3);
      assert.deepEqual(await replayed(source, 0, 3), expected);
      assert.deepEqual(await replayed(source, 3, 6), expected, 'every loop sends the same');
      let blobs = 0;
      let blobBytes = 0;
      for (let i = 0; i < 3; i++) {
        const built = await source.build(i);
        blobs += built.blobs;
        blobBytes += built.blobBytes;
      }
      const chunks = messages.filter(
        (m) => isControlFrame(m.payload) && commandOf(m.payload) === Command.BLOB_CHUNK,
      );
      assert.equal(chunks.length, 12);
      assert.equal(blobs, 12);
      assert.equal(
        blobBytes,
        chunks.reduce((sum, m) => sum + m.payload.length, 0),
      );
    });
  });

  it('--blob-faults re-sends the captured chunks wrong: blob n is the nth fileId, each fault counted once', async () => {
    const blobChunks = (built: BuiltFrame[]) =>
      built
        .flatMap((b) => [...(b.before ?? []), ...b.blobChunks])
        .map((raw) => decodeControlFrame(raw))
        .flatMap((frame) =>
          frame.type === 'BLOB_CHUNK' ? [{ header: frame.header, bytes: frame.chunk.length }] : [],
        );
    const build = (source: ReplaySource) => Promise.all([0, 1, 2].map((i) => source.start('t', 1).build(i)));
    const plain = blobChunks(await withSource(path, {}, build));
    const fileIds = [...new Set(plain.map((c) => c.header.fileId))];
    assert.equal(fileIds.length, 12);
    const built = await withSource(
      path,
      { blobFaults: parseBlobFaults('error:4,withhold:5,truncate:6,orphan:7') },
      build,
    );
    const counts: Record<string, number> = {};
    for (const frame of built)
      for (const [kind, n] of Object.entries(frame.blobFaults ?? {})) counts[kind] = (counts[kind] ?? 0) + n;
    // Blobs 4, 8, 12 error; 5, 10 withheld; 6 truncated; 7 orphaned.
    assert.deepEqual(counts, { error: 3, withhold: 2, truncate: 1, orphan: 1 });
    const chunks = blobChunks(built);
    const of = (n: number) => chunks.filter((c) => c.header.fileId === fileIds[n - 1]);
    for (const n of [4, 8, 12]) assert.equal(of(n).at(-1)?.header.error, INJECTED_ERROR, `blob ${n}`);
    for (const n of [5, 10]) assert.deepEqual(of(n), [], `blob ${n} withheld`);
    const size = of(6)[0]!.header.size!;
    assert.deepEqual(
      of(6).map((c) => [c.header.finished ?? false, c.bytes]),
      [
        [false, Math.floor(size / 2)],
        [true, 0],
      ],
      'blob 6 stops at half its declared size, then says finished',
    );
    assert.equal(
      chunks.filter((c) => c.header.fileId === `${fileIds[6]}-orphan`).length,
      1,
      'blob 7 orphaned',
    );
    for (const n of [1, 2, 3, 9, 11])
      assert.deepEqual(
        of(n),
        plain.filter((c) => c.header.fileId === fileIds[n - 1]),
        `blob ${n} as captured`,
      );
  });

  it('resumed with --from-frame, the first frame brings every control frame captured before it', async () => {
    const messages = await captured(path, 1);
    const beforeFrame = (k: number) => {
      const out: string[] = [];
      let frames = 0;
      for (const m of messages) {
        if (!isControlFrame(m.payload)) {
          if (frames++ === k) break;
        } else if (REPLAYED_CONTROLS.has(commandOf(m.payload))) out.push(hex(m.payload));
      }
      return out;
    };
    await withSource(path, { fromFrame: 1 }, async (source) => {
      source.start('tool-node');
      assert.deepEqual((await source.build(0)).before?.map(hex), beforeFrame(1));
      const between = beforeFrame(2).slice(beforeFrame(1).length);
      assert.ok(between.length > 0);
      assert.deepEqual((await source.build(1)).before?.map(hex), between);
    });
  });

  it('the preamble is the node-id map for the subscribed names and the table structure', async () => {
    await withSource(path, {}, async (source) => {
      source.start('tool-node');
      const [map, ...rest] = await source.preamble(['tool-node', 'relay']);
      assert.deepEqual(decodeControlFrame(map!), {
        type: 'NODE_NAME_TO_ID_MAP',
        nodeIds: source.nodeIds,
        subscribedNames: ['tool-node', 'relay'],
      });
      assert.ok(Object.keys(source.nodeIds).length > 0, 'the captured map');
      assert.deepEqual(
        rest.map((payload) => decodeControlFrame(payload).type),
        ['TABLE_FIXED_STRUCTURE'],
      );
      assert.deepEqual(
        [...source.tables.values()].map((t) => t.name),
        ['photos'],
      );
    });
  });
});

describe('ReplaySource on proxy-two-nodes', () => {
  it('picks the connection with the data and measures the receiver’s original acks', async () => {
    const path = committed('proxy-two-nodes.hrcap');
    // The oracle: each tailed data frame to the first later COMMITTED_UPDATE at or above its tail.
    const reader = await CaptureReader.open(path);
    const tails: Array<{ timeUs: number; tail: number }> = [];
    const acks: Array<{ timeUs: number; seq: number }> = [];
    for await (const record of reader.records()) {
      if (record.kind !== RecordKind.MESSAGE || record.connection !== 3) continue;
      if (record.direction === Direction.FROM_SOURCE && !isControlFrame(record.payload)) {
        const tail = summarizeTxnFrame(record.payload).sequenceId;
        if (tail) tails.push({ timeUs: record.timeUs, tail });
      } else if (record.direction === Direction.TO_SOURCE) {
        const ack = decodeControlFrame(record.payload);
        if (ack.type === 'COMMITTED_UPDATE' && ack.sequenceId)
          acks.push({ timeUs: record.timeUs, seq: ack.sequenceId });
      }
    }
    await reader.close();
    const latencies = tails.flatMap(({ timeUs, tail }) => {
      const ack = acks.find((a) => a.seq >= tail && a.timeUs >= timeUs);
      return ack ? [(ack.timeUs - timeUs) / 1000] : [];
    });
    assert.ok(latencies.length > 0);
    await withSource(path, {}, (source) => {
      assert.equal(source.connection, 3);
      assert.equal(source.framesPerLoop, 20);
      assert.equal(source.originalAcks.count, latencies.length);
      const max = Math.max(...latencies);
      assert.ok(
        Math.abs(source.originalAcks.max! - max) <= max * 0.002,
        `max ${source.originalAcks.max} vs ${max}`,
      );
    });
  });
});

describe('ReplaySource on a capture with a known clock', () => {
  let path: string;
  let workload: Awaited<ReturnType<typeof writeTimedCapture>>;
  before(async () => {
    path = files.path('timed.hrcap');
    workload = await writeTimedCapture(path, {
      frames: 5,
      recordsPerFrame: 3,
      spacingMs: 10,
      database: 'zoo',
      table: 'elk',
    });
  });

  const cases: Array<{ what: string; options: Partial<ReplayOptions>; dues: number[] }> = [
    {
      what: 'captured pace, two loops end to end',
      options: { loops: 2 },
      dues: [0, 10, 20, 30, 40, 40, 50, 60, 70, 80],
    },
    { what: 'twice faster', options: { speed: 2 }, dues: [0, 5, 10, 15, 20] },
    { what: 'gaps capped at 4 ms', options: { maxGapMs: 4 }, dues: [0, 4, 8, 12, 16] },
    { what: 'from frame 2, two loops', options: { fromFrame: 2, loops: 2 }, dues: [0, 10, 20, 20, 30, 40] },
  ];
  for (const { what, options, dues } of cases) {
    it(`schedule: ${what}`, async () => {
      await withSource(path, options, (source) => {
        assert.equal(source.frameCount, dues.length);
        assert.deepEqual(
          dues.map((_, i) => source.due(i)),
          dues,
        );
        assert.equal(source.scheduledDurationMs, dues.at(-1));
      });
    });
  }

  it('origin: the captured map, the tool itself, or any other node (node ids then 0)', async () => {
    const origins: Array<{ origin: string; map: Record<string, number> }> = [
      { origin: 'capture', map: { 'timed-source': 0 } },
      { origin: 'self', map: { 'tool-node': 0 } },
      { origin: 'someone-else', map: { 'someone-else': 0 } },
    ];
    for (const { origin, map } of origins) {
      await withSource(path, { origin }, async (source) => {
        source.start('tool-node');
        const [first] = await source.preamble(['tool-node']);
        assert.deepEqual(decodeControlFrame(first!), {
          type: 'NODE_NAME_TO_ID_MAP',
          nodeIds: map,
          subscribedNames: ['tool-node'],
        });
      });
    }
  });

  it('build(0) brings the table structure that preceded it; later frames bring none', async () => {
    await withSource(path, {}, async (source) => {
      source.start('tool-node');
      const first = await source.build(0);
      assert.deepEqual(
        (first.before ?? []).map((payload) => hex(payload)),
        [hex(workload.preamble(['x'])[1]!)],
      );
      assert.deepEqual((await source.build(1)).before, []);
      assert.deepEqual(first.blobChunks, []);
    });
  });

  it('not retimed, frame i keeps the captured version of frame fromFrame + i', async () => {
    await withSource(path, { retime: false, fromFrame: 1 }, async (source) => {
      source.start('tool-node', 10);
      for (let i = 0; i < 4; i++) {
        const decoded = decodeTxnFrame((await source.build(i)).data);
        assert.equal(decoded.txnTime, workload.version(i + 1), `frame ${i}`);
        assert.equal(decoded.sequenceId, 10 + i + 1);
      }
    });
  });

  it('a capture cut before its footer is replayable and says it is truncated', async () => {
    const cut = files.path('cut.hrcap');
    await writeTimedCapture(cut, {
      frames: 3,
      recordsPerFrame: 2,
      spacingMs: 1,
      database: 'zoo',
      table: 'elk',
    });
    truncateSync(cut, statSync(cut).size - 10);
    await withSource(cut, {}, (source) => {
      assert.equal(source.truncated, true);
      assert.equal(source.framesPerLoop, 3);
    });
  });
});

describe('ReplaySource on hand-made captures', () => {
  it('picks the connection with the most data frames unless told; ignores acks, other directions, junk', async () => {
    const path = await writeCapture(files.path('two.hrcap'), [
      { connection: 1, timeUs: 1000, payload: frame({ count: 1 }) },
      { connection: 2, timeUs: 2000, payload: frame({ count: 2 }) },
      { connection: 2, timeUs: 3000, payload: frame({ count: 3 }) },
      { connection: 2, timeUs: 3500, payload: Buffer.from([1, 2, 3]) },
      { connection: 1, direction: Direction.TO_SOURCE, timeUs: 4000, payload: frame({ count: 9 }) },
      { connection: 1, direction: Direction.TO_SOURCE, timeUs: 4100, payload: frame({ count: 9 }) },
      { connection: 1, direction: Direction.TO_SOURCE, timeUs: 4200, payload: frame({ count: 9 }) },
      { connection: 2, timeUs: 5000, payload: frame({ count: 4 }) },
    ]);
    await withSource(path, {}, (source) => {
      assert.equal(source.connection, 2);
      assert.deepEqual(
        [0, 1, 2].map((i) => source.recordsIn(i)),
        [2, 3, 4],
      );
      assert.equal(source.database, 'zoo');
      assert.equal(source.sourceNodeName, 'src-node');
    });
    await withSource(path, { connection: 1 }, (source) => {
      assert.equal(source.connection, 1);
      assert.equal(source.framesPerLoop, 1);
      assert.equal(source.recordsIn(0), 1);
    });
    await assert.rejects(
      ReplaySource.open(path, { ...OPTIONS, connection: 9 }),
      (error: Error & { exitCode?: number }) =>
        error.exitCode === 2 &&
        error.message.startsWith(
          `--connection 9: ${path} has no transaction frames from the source on it (it has: `,
        ),
    );
  });

  it('a capture without transaction frames cannot be replayed', async () => {
    const path = await writeCapture(files.path('empty.hrcap'), [
      { direction: Direction.TO_SOURCE, timeUs: 1, payload: encodeNodeName('tool', 'zoo') },
      { timeUs: 2, payload: encodeNodeName('src-node', 'zoo') },
    ]);
    await assert.rejects(ReplaySource.open(path, OPTIONS), {
      message: `${path}: no transaction frames from the source on connection 1`,
    });
  });

  it('the original ack latency: each tailed frame to the first later ack covering it', async () => {
    const path = await writeCapture(files.path('acks.hrcap'), [
      { timeUs: 1_000, payload: frame({ tail: 10 }) },
      { timeUs: 11_000, payload: frame({ tail: 20 }) },
      { direction: Direction.TO_SOURCE, timeUs: 15_000, payload: encodeCommittedUpdate(20) },
      { timeUs: 21_000, payload: frame({ tail: 30 }) },
      { direction: Direction.TO_SOURCE, timeUs: 30_000, payload: encodeCommittedUpdate(30) },
      { timeUs: 31_000, payload: frame({}) },
      { timeUs: 41_000, payload: frame({ tail: 0 }) },
      { timeUs: 51_000, payload: frame({ tail: 40 }) },
    ]);
    await withSource(path, {}, (source) => {
      // 14 ms (10, coalesced), 4 ms (20), 9 ms (30); untailed, tail 0 and the never-acked 40 do not count.
      const { count, p50, max } = source.originalAcks;
      assert.equal(count, 3);
      assert.ok(Math.abs(p50! - 9) < 0.02, `p50 ${p50}`);
      assert.ok(Math.abs(max! - 14) < 0.02, `max ${max}`);
    });
  });

  it('node ids are mapped to 0 for another origin and kept for the capture’s', async () => {
    const path = await writeCapture(files.path('origins.hrcap'), [
      { timeUs: 1, payload: encodeNodeIdMap({ 'origin-a': 3, 'origin-b': 5 }, ['src-node']) },
      { timeUs: 2, payload: structure(1, 'elk') },
      { timeUs: 3, payload: frame({ nodeId: 3, count: 2 }) },
      { timeUs: 4, payload: frame({ nodeId: 5, count: 1 }) },
    ]);
    await withSource(path, {}, async (source) => {
      source.start('tool-node');
      assert.deepEqual(source.nodeIds, { 'origin-a': 3, 'origin-b': 5 });
      assert.deepEqual(
        decodeTxnFrame((await source.build(0)).data).entries.map((e) => e.nodeId),
        [3, 3],
      );
      assert.deepEqual(
        decodeTxnFrame((await source.build(1)).data).entries.map((e) => e.nodeId),
        [5],
      );
    });
    await withSource(path, { origin: 'self' }, async (source) => {
      source.start('tool-node');
      for (const index of [0, 1]) {
        const entries = decodeTxnFrame((await source.build(index)).data).entries;
        assert.ok(entries.length > 0 && entries.every((e) => e.nodeId === 0), `frame ${index}`);
      }
    });
  });

  describe('two tables, a structure update and residency lists', () => {
    let path: string;
    const elk1 = structure(1, 'elk');
    const elk2 = structure(1, 'elk', 'key');
    const owl = structure(2, 'owl');
    const residency = encodeControl(Command.RESIDENCY_LIST, ['node-a', 'node-b'], 7);
    before(async () => {
      path = await writeCapture(files.path('tables.hrcap'), [
        { timeUs: 1, payload: elk1 },
        { timeUs: 2, payload: frame({ tableId: 1, count: 2 }) },
        { timeUs: 3, payload: residency },
        { timeUs: 4, payload: owl },
        { timeUs: 5, payload: frame({ tableId: 2, count: 1 }) },
        { timeUs: 6, payload: elk2 },
        { timeUs: 7, payload: frame({ tableId: 1, count: 3 }) },
      ]);
    });

    it('the preamble of a resumed stream has the latest structure of every table seen and the residency lists', async () => {
      await withSource(path, { loops: 2 }, async (source) => {
        source.start('tool-node');
        const types = async (fromIndex: number) =>
          (await source.preamble(['tool-node'], fromIndex)).slice(1).map((payload) => hex(payload));
        assert.deepEqual(await types(0), [hex(elk1)]);
        assert.deepEqual(await types(1), [hex(residency), hex(elk1), hex(owl)]);
        assert.deepEqual(await types(2), [hex(residency), hex(elk2), hex(owl)]);
        assert.deepEqual(await types(3), [hex(residency), hex(elk2), hex(owl)], 'second loop: everything');
        assert.deepEqual(
          [...source.tables.values()].map((t) => [t.tableId, t.name]),
          [
            [1, 'elk'],
            [2, 'owl'],
          ],
        );
      });
    });

    it('--tables keeps only those tables’ entries and structures', async () => {
      await withSource(path, { tables: ['owl'] }, async (source) => {
        source.start('tool-node');
        assert.deepEqual((await source.preamble(['tool-node'], 2)).slice(1).map(hex), [
          hex(residency),
          hex(owl),
        ]);
        const built = await Promise.all([0, 1, 2].map((i) => source.build(i)));
        assert.deepEqual(
          built.map((b) => b.records),
          [0, 1, 0],
        );
        assert.deepEqual(
          built.map((b) => decodeTxnFrame(b.data).entries.length),
          [0, 1, 0],
        );
        assert.deepEqual(
          built.map((b) => (b.before ?? []).map(hex)),
          [[], [hex(residency), hex(owl)], []],
        );
      });
    });

    it('--exclude-tables drops those tables’ entries and structures', async () => {
      await withSource(path, { excludeTables: ['owl'] }, async (source) => {
        source.start('tool-node');
        const built = await Promise.all([0, 1, 2].map((i) => source.build(i)));
        assert.deepEqual(
          built.map((b) => b.records),
          [2, 0, 3],
        );
        assert.deepEqual(
          built.map((b) => (b.before ?? []).map(hex)),
          [[hex(elk1)], [hex(residency)], [hex(elk2)]],
        );
      });
    });

    it('without filters every entry and control frame goes out, in captured order', async () => {
      await withSource(path, {}, async (source) => {
        source.start('tool-node');
        assert.deepEqual(await replayed(source, 0, 3), [
          `control ${hex(elk1)}`,
          'data 2',
          `control ${hex(residency)}`,
          `control ${hex(owl)}`,
          'data 1',
          `control ${hex(elk2)}`,
          'data 3',
        ]);
      });
    });
  });
});

describe('mergedSchedule', () => {
  it('one clock over every connection: captured offsets, gaps capped between consecutive frames of any connection', () => {
    // Connection A at 0, 10, 5000 ms; B at 4 and 2000 ms (times in µs).
    const times = [
      [0, 10_000, 5_000_000],
      [4_000, 2_000_000],
    ];
    assert.deepEqual(mergedSchedule(times, 1), [
      [0, 10, 5000],
      [4, 2000],
    ]);
    assert.deepEqual(mergedSchedule(times, 2), [
      [0, 5, 2500],
      [2, 1000],
    ]);
    // Capped at 100 ms: 0, 4, 10, then 1990 → 100, then 3000 → 100.
    assert.deepEqual(mergedSchedule(times, 1, 100), [
      [0, 10, 210],
      [4, 110],
    ]);
    assert.deepEqual(mergedSchedule([[7_000, 9_000]], 1), [[0, 2]], 'one connection: from its first frame');
  });
});

describe('ReplayCapture: several connections', () => {
  const twoDatabases = () =>
    writeCapture(files.path('multi.hrcap'), [
      { connection: 1, direction: Direction.TO_SOURCE, timeUs: 10, payload: encodeNodeName('b', 'zoo') },
      { connection: 2, direction: Direction.TO_SOURCE, timeUs: 20, payload: encodeNodeName('b', 'farm') },
      { connection: 3, direction: Direction.TO_SOURCE, timeUs: 30, payload: encodeNodeName('b', 'zoo') },
      { connection: 1, timeUs: 100, payload: structure(1, 'lion') },
      { connection: 2, timeUs: 110, payload: structure(1, 'cow') },
      { connection: 1, timeUs: 1_000, payload: frame({ count: 2, tail: 5 }) },
      { connection: 2, timeUs: 3_000, payload: frame({ count: 3, tail: 6 }) },
      { connection: 1, timeUs: 6_000, payload: frame({ count: 1, tail: 7 }) },
      { connection: 3, timeUs: 7_000, payload: frame({ count: 9, tail: 8 }) },
      { connection: 2, timeUs: 9_000, payload: frame({ count: 4, tail: 9 }) },
      { connection: 2, timeUs: 10_000, payload: frame({ count: 5, tail: 10 }) },
    ]);

  it('replays one connection per database (the busiest), each with its own tables, on one clock', async () => {
    const path = await twoDatabases();
    const capture = await ReplayCapture.open(path, OPTIONS);
    try {
      assert.deepEqual(
        capture.sources.map((s) => [s.connection, s.database, s.frameCount, s.totalRecords]),
        [
          [1, 'zoo', 2, 3],
          [2, 'farm', 3, 12],
        ],
      );
      assert.deepEqual(capture.leftOut, [{ connection: 3, database: 'zoo', frames: 1 }]);
      const [zoo, farm] = capture.sources as [ReplaySource, ReplaySource];
      assert.deepEqual(
        [...zoo.tables.values()].map((t) => t.name),
        ['lion'],
      );
      assert.deepEqual(
        [...farm.tables.values()].map((t) => t.name),
        ['cow'],
      );
      // The merged clock starts at the first data frame of either (1 ms); connection 3 is not on it.
      assert.deepEqual([zoo.due(0), zoo.due(1)], [0, 5]);
      assert.deepEqual([farm.due(0), farm.due(1), farm.due(2)], [2, 8, 9]);
      assert.equal(capture.scheduledDurationMs, 9);
      assert.equal(capture.frameCount, 5);
      assert.equal(capture.totalRecords, 15);
      const built = await farm.start('tool', 1_000).build(0);
      assert.deepEqual(
        built.before?.map((b) => decodeControlFrame(b).type),
        ['TABLE_FIXED_STRUCTURE'],
        "the farm stream re-sends its own connection's structure",
      );
    } finally {
      await capture.close();
    }
  });

  it('loops keep the shared window: the next pass starts where the whole capture ended', async () => {
    const capture = await ReplayCapture.open(await twoDatabases(), { ...OPTIONS, loops: 2 });
    try {
      const [zoo, farm] = capture.sources as [ReplaySource, ReplaySource];
      assert.deepEqual([zoo.due(2), zoo.due(3)], [9, 14]);
      assert.deepEqual([farm.due(3), farm.due(5)], [11, 18]);
      assert.equal(capture.scheduledDurationMs, 18);
    } finally {
      await capture.close();
    }
  });

  it('--connection narrows it to one; a connection without data is an error', async () => {
    const path = await twoDatabases();
    const capture = await ReplayCapture.open(path, { ...OPTIONS, connection: 3 });
    try {
      assert.deepEqual(
        capture.sources.map((s) => [s.connection, s.database, s.frameCount]),
        [[3, 'zoo', 1]],
      );
      assert.deepEqual(capture.leftOut, []);
      assert.equal(capture.sources[0]!.due(0), 0);
    } finally {
      await capture.close();
    }
    await assert.rejects(
      ReplayCapture.open(path, { ...OPTIONS, connection: 4 }),
      (error: Error & { exitCode?: number }) =>
        error.exitCode === 2 &&
        error.message.startsWith(
          `--connection 4: ${path} has no transaction frames from the source on it (it has: `,
        ),
    );
  });
});

describe('ReplaySource: --pace-by and --duration', () => {
  // A backlog: four writes 500 ms apart (their transaction times) that arrived as a 3 ms catch-up burst.
  const backlog = () =>
    writeCapture(files.path('backlog.hrcap'), [
      { timeUs: 1_000, payload: frame({ version: 1_700_000_000_000, tail: 1 }) },
      { timeUs: 2_000, payload: frame({ version: 1_700_000_000_500, tail: 2, firstKey: 2 }) },
      { timeUs: 3_000, payload: frame({ version: 1_700_000_001_000, tail: 3, firstKey: 3 }) },
      { timeUs: 4_000, payload: frame({ version: 1_700_000_001_500, tail: 4, firstKey: 4 }) },
    ]);

  it('paces by arrival by default and by the transaction times when asked; both spans are known', async () => {
    const path = await backlog();
    const arrival = await ReplayCapture.open(path, OPTIONS);
    const byTxn = await ReplayCapture.open(path, { ...OPTIONS, paceBy: 'txn-time', speed: 2 });
    try {
      assert.deepEqual(
        [0, 1, 2, 3].map((i) => arrival.sources[0]!.due(i)),
        [0, 1, 2, 3],
      );
      assert.deepEqual(arrival.paceSpans, { arrivalMs: 3, txnTimeMs: 1500 });
      assert.deepEqual(
        [0, 1, 2, 3].map((i) => byTxn.sources[0]!.due(i)),
        [0, 250, 500, 750],
        'at 2x',
      );
      assert.deepEqual(byTxn.paceSpans, { arrivalMs: 1.5, txnTimeMs: 750 });
      assert.equal(byTxn.scheduledDurationMs, 750);
    } finally {
      await arrival.close();
      await byTxn.close();
    }
  });

  it('--duration loops until the frames are due that long; --rate gives the frame count; records follow', async () => {
    const path = await backlog();
    await withSource(path, { paceBy: 'txn-time', durationMs: 4000 }, (source) => {
      // A pass spans 1500 ms and the next begins where it ended (as --loop does): 0, 500, 1000, 1500 | 1500, 2000,
      // 2500, 3000 | 3000, 3500 — and 4000 is out.
      assert.equal(source.frameCount, 10);
      assert.equal(source.due(9), 3500);
      assert.equal(source.due(10), 4000);
      assert.equal(source.loopCount, 3);
      assert.equal(source.totalRecords, 10);
    });
    await withSource(
      path,
      { durationMs: 10_000, frameLimit: 6, speed: Number.POSITIVE_INFINITY },
      (source) => {
        assert.equal(source.frameCount, 6);
        assert.equal(source.loopCount, 2);
      },
    );
    await withSource(path, { durationMs: 1000, speed: Number.POSITIVE_INFINITY }, (source) => {
      assert.throws(() => source.frameCount, /--duration needs a pace/);
    });
  });
});

describe('ReplaySource striped over shards (--shard)', () => {
  // Structures change mid-capture: table 2 appears before frame 2, table 1 changes before frame 4.
  const records: Written[] = [
    { timeUs: 0, payload: structure(1, 'cats') },
    { timeUs: 1000, payload: frame({ tableId: 1, tail: 11, firstKey: 1 }) },
    { timeUs: 2000, payload: frame({ tableId: 1, tail: 12, firstKey: 2 }) },
    { timeUs: 2500, payload: structure(2, 'dogs') },
    { timeUs: 3000, payload: frame({ tableId: 2, tail: 13, firstKey: 3 }) },
    { timeUs: 4000, payload: frame({ tableId: 1, tail: 14, firstKey: 4 }) },
    { timeUs: 4500, payload: structure(1, 'cats', 'name') },
    { timeUs: 5000, payload: frame({ tableId: 1, tail: 15, firstKey: 5 }) },
    { timeUs: 6000, payload: frame({ tableId: 2, tail: 16, firstKey: 6 }) },
    { timeUs: 7000, payload: frame({ tableId: 1, tail: 17, firstKey: 7 }) },
  ];
  /** The latest structure of each table before data frame p, as the capture has it. */
  const latestBefore: string[][] = [];
  const latest = new Map<string, string>();
  for (const record of records) {
    if (isControlFrame(record.payload)) {
      const decoded = decodeControlFrame(record.payload) as { tableId?: number };
      latest.set(String(decoded.tableId), hex(record.payload));
    } else latestBefore.push([...latest.values()]);
  }

  it('for n = 1…4 and 2 loops: each shard sends the unsharded frames, each after the structures it needs', async () => {
    const path = await writeCapture(files.path('structures.hrcap'), records);
    for (let count = 1; count <= 4; count++) {
      const whole = await ReplaySource.open(path, { ...OPTIONS, loops: 2 });
      whole.start('me', 5_000);
      const sentBy: string[] = [];
      for (let index = 0; index < count; index++) {
        const inner = await ReplaySource.open(path, { ...OPTIONS, loops: 2 });
        inner.start('me', 5_000);
        const shard = new ShardedSource(inner, stripeFrames({ index, count }, inner.frameCount));
        const seen = new Set((await shard.preamble(['t'])).map(hex));
        for (let k = 0; k < shard.frameCount; k++) {
          const position = shard.positionOf(k);
          const built = await shard.build(k);
          for (const control of built.before ?? []) seen.add(hex(control));
          for (const needed of latestBefore[position % 7]!)
            assert.ok(seen.has(needed), `${index}/${count}: frame ${position} after its structures`);
          assert.equal(hex(built.data), hex((await whole.build(position)).data), `frame ${position}`);
          assert.equal(built.sequenceId, whole.sequenceId(position));
          assert.equal(shard.due(k), whole.due(position), 'its captured due time');
          assert.equal(sentBy[position], undefined);
          sentBy[position] = `${index}`;
        }
        await inner.close();
      }
      assert.equal(sentBy.filter(Boolean).length, whole.frameCount, `${count} shards cover every frame`);
      await whole.close();
    }
  });
});

/** Where the capture's footer record starts (the last record). */
function footerOffset(path: string): number {
  const bytes = readFileSync(path);
  for (let at = bytes.length - RECORD_HEAD_LENGTH - RECORD_TRAILER_LENGTH; at >= 0; at--)
    if (
      bytes[at] === RecordKind.FOOTER &&
      at + RECORD_HEAD_LENGTH + bytes.readUInt32BE(at + 15) + 4 === bytes.length
    )
      return at;
  throw new Error(`${path} has no footer`);
}

describe('ReplaySource on a damaged capture: a data frame is checked when it is sent', () => {
  /** Three data frames; returns the file and each data record's offset (read independently of the code under test). */
  async function threeFrames(name: string): Promise<{ path: string; offsets: number[] }> {
    const path = await writeCapture(files.path(name), [
      { timeUs: 1000, payload: structure(1, 'animals') },
      ...[1, 2, 3].map((n) => ({
        timeUs: 1000 * (n + 1),
        payload: frame({ count: 50, firstKey: n * 100, tail: n }),
      })),
    ]);
    const reader = await CaptureReader.open(path);
    const offsets: number[] = [];
    try {
      for await (const record of reader.records())
        if (record.kind === RecordKind.MESSAGE && record.payload[0]! <= 0x7f) offsets.push(record.offset);
    } finally {
      await reader.close();
    }
    return { path, offsets };
  }

  function flip(path: string, at: number): void {
    const bytes = readFileSync(path);
    bytes[at]! ^= 0x01;
    writeFileSync(path, bytes);
  }

  it('a flipped value byte: the index opens, the frames before it build, the frame itself is a bad input (6)', async () => {
    const { path, offsets } = await threeFrames('damaged-value.hrcap');
    assert.equal(offsets.length, 3);
    // The last bytes of the second frame's payload lie in its last value (before the 10-byte sequence tail).
    const payloadEnd = offsets[2]! - RECORD_TRAILER_LENGTH;
    flip(path, payloadEnd - 12);
    await withSource(path, {}, async (source) => {
      assert.equal(source.frameCount, 3, 'the index still counts every frame');
      assert.equal(source.recordsIn(1), 50);
      assert.equal((await source.build(0)).records, 50);
      await assert.rejects(source.build(1), (error: unknown) => {
        assert.ok(error instanceof HarperReplayError);
        assert.equal(error.exitCode, ExitCode.BAD_INPUT);
        assert.match(
          error.message,
          new RegExp(`damaged-value\\.hrcap: record checksum mismatch \\(at byte ${offsets[1]}\\)`),
        );
        return true;
      });
      assert.equal((await source.build(2)).records, 50, 'an intact frame after it still builds');
    });
  });

  it('a flipped byte that makes a frame undecodable: without a frame index the index fails at that frame', async () => {
    const { path, offsets } = await threeFrames('damaged-start.hrcap');
    // The txnTime's first byte with its top bit set: not a transaction frame any more.
    const bytes = readFileSync(path);
    bytes[offsets[1]! + RECORD_HEAD_LENGTH]! |= 0x80;
    writeFileSync(path, bytes);
    await withSource(path, {}, async (source) => {
      assert.equal(source.frameCount, 3, "the footer's frame index still lists it");
      await assert.rejects(
        source.build(1),
        new RegExp(`record checksum mismatch \\(at byte ${offsets[1]}\\)`),
      );
    });
    // A capture killed before its footer has no frame index: the scan reads the frame and fails there.
    truncateSync(path, footerOffset(path));
    await assert.rejects(
      ReplaySource.open(path, OPTIONS),
      new RegExp(`record checksum mismatch \\(at byte ${offsets[1]}\\)`),
    );
  });
});

describe('ReplaySource reads each data frame into a buffer the socket hands back', () => {
  /** Four data frames of 4,000 records each (well over the 64 KB below which buffers are not recycled). */
  async function fourLargeFrames(name: string): Promise<string> {
    return writeCapture(files.path(name), [
      { timeUs: 1000, payload: structure(1, 'animals') },
      ...[1, 2, 3, 4].map((n) => ({
        timeUs: 1000 * (n + 1),
        payload: frame({ count: 4000, firstKey: n * 10_000, tail: n }),
      })),
    ]);
  }

  it('a released frame lends its memory to the next read, which is still read whole and checked', async () => {
    const path = await fourLargeFrames('recycled.hrcap');
    await withSource(path, {}, async (source) => {
      const first = await source.build(0);
      assert.ok(first.data.length > 64 * 1024, `a large frame (${first.data.length} B)`);
      const firstBytes = Buffer.from(first.data);
      source.release(first);
      // Frame 1 was read ahead while frame 0 was built (before the release); frame 2's read begins in build(1).
      const second = await source.build(1);
      assert.notEqual(second.data.buffer, first.data.buffer, 'read ahead before the release: its own memory');
      const third = await source.build(2);
      assert.equal(third.data.buffer, first.data.buffer, 'the next read reuses the released memory');
      assert.notDeepEqual(Buffer.from(third.data), firstBytes, 'and holds its own bytes');
      assert.equal(decodeTxnFrame(third.data).entries.length, 4000);
      assert.equal(decodeTxnFrame(third.data).entries[0]!.key, 30_000);
      assert.equal(decodeTxnFrame(second.data).entries[0]!.key, 20_000);
    });
  });

  it('a frame not released (still in the socket) never shares memory with a later one', async () => {
    const path = await fourLargeFrames('held.hrcap');
    await withSource(path, {}, async (source) => {
      const built = [await source.build(0), await source.build(1), await source.build(2)];
      assert.equal(new Set(built.map((f) => f.data.buffer)).size, 3);
      source.release(built[0]!);
      source.release(built[0]!);
      // Frame 3 was read ahead in build(2), before the release; frames 0 and 1 are read after it.
      const [fourth, fifth, sixth] = [await source.build(3), await source.build(0), await source.build(1)];
      assert.ok(!built.some((f) => f.data.buffer === fourth.data.buffer), 'read ahead before the release');
      assert.equal(fifth.data.buffer, built[0]!.data.buffer, 'the released one is reused');
      assert.notEqual(sixth.data.buffer, built[0]!.data.buffer, 'a frame released twice is lent once');
      for (const f of [...built.slice(1), fourth, fifth, sixth])
        assert.equal(decodeTxnFrame(f.data).entries.length, 4000);
    });
  });

  it('a capture rewritten under the replay (a frame’s length changed) is a bad input (6), not a misread frame', async () => {
    const path = await fourLargeFrames('rewritten.hrcap');
    await withSource(path, {}, async (source) => {
      // Frame 1 is read ahead in build(0): frame 2, read once build(1) runs, is the first read after the change.
      await source.build(0);
      const reader = await CaptureReader.open(path);
      const offsets: number[] = [];
      for await (const record of reader.records())
        if (record.kind === RecordKind.MESSAGE && record.payload[0]! <= 0x7f) offsets.push(record.offset);
      await reader.close();
      const bytes = readFileSync(path);
      bytes.writeUInt32BE(bytes.readUInt32BE(offsets[2]! + 15) - 1, offsets[2]! + 15);
      writeFileSync(path, bytes);
      await source.build(1);
      await assert.rejects(source.build(2), (error: unknown) => {
        assert.ok(error instanceof HarperReplayError);
        assert.equal(error.exitCode, ExitCode.BAD_INPUT);
        assert.match(error.message, /rewritten\.hrcap shrank or was rewritten while it was replayed/);
        return true;
      });
    });
  });
});

describe('ReplaySource with the footer frame index (a finalized capture)', () => {
  /** A structure, five data frames with tails, the receiver's ack of the third. */
  async function indexedCapture(name: string): Promise<string> {
    return writeCapture(files.path(name), [
      { timeUs: 1000, payload: structure(1, 'animals') },
      ...[1, 2, 3, 4, 5].map((n) => ({
        timeUs: 1000 * (n + 1) + 7 * n * n,
        payload: frame({ count: 10 * n, firstKey: n * 100, tail: n }),
      })),
      { timeUs: 7500, direction: Direction.TO_SOURCE, payload: encodeCommittedUpdate(3) },
    ]);
  }

  /** What a replay knows of a capture before it sends, and the bytes it then sends. */
  async function knowledge(path: string) {
    return withSource(path, { speed: 1 }, async (source) => {
      const frames = [];
      for (let i = 0; i < source.frameCount; i++) {
        const built = await source.build(i);
        frames.push({ records: source.recordsIn(i), due: source.due(i), data: Buffer.from(built.data) });
      }
      return {
        frames,
        bytes: source.bytes,
        largestFrame: source.largestFrame,
        originalAcks: source.originalAcks,
        tables: [...source.tables.values()].map((t) => t.name),
        preamble: await source.preamble(['tool']),
      };
    });
  }

  it('knows what a full scan knows: frames, records, due times, acks, tables, and sends the same bytes', async () => {
    const path = await indexedCapture('indexed.hrcap');
    const scanned = files.path('scanned.hrcap');
    writeFileSync(scanned, readFileSync(path).subarray(0, footerOffset(path)));
    const [withIndex, withScan] = [await knowledge(path), await knowledge(scanned)];
    assert.equal(withIndex.frames.length, 5);
    assert.deepEqual(
      withIndex.frames.map((f) => f.records),
      [10, 20, 30, 40, 50],
    );
    assert.equal(withIndex.originalAcks.count, 3, 'the ack of tail 3 covers the first three frames');
    assert.deepEqual(withIndex, withScan);
  });

  it('an index that does not describe the file is dropped for a full scan, not trusted', async () => {
    const path = await indexedCapture('edited-index.hrcap');
    const bytes = readFileSync(path);
    const at = footerOffset(path);
    const footer = JSON.parse(bytes.subarray(at + RECORD_HEAD_LENGTH, bytes.length - 4).toString('utf8'));
    // The second frame's row: another time (so the row no longer matches the file) and a wrong entry count.
    footer.frameIndex.frames[1][3] += 1;
    footer.frameIndex.frames[1][4] = 999;
    const payload = Buffer.from(JSON.stringify(footer));
    const head = encodeRecordHead(
      RecordKind.FOOTER,
      Direction.FROM_SOURCE,
      0,
      bytes.readUInt32BE(at + 6) * 2 ** 32 + bytes.readUInt32BE(at + 10),
      0,
      payload.length,
    );
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32BE(recordChecksum(head, payload));
    writeFileSync(path, Buffer.concat([bytes.subarray(0, at), head, payload, trailer]));
    await withSource(path, {}, (source) => {
      assert.equal(source.frameCount, 5);
      assert.equal(source.recordsIn(1), 20, 'the count read from the frame, not the edited 999');
      assert.equal(source.truncated, false);
    });
  });
});
