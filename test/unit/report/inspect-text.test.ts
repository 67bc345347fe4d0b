/** What `inspect` prints, on the committed captures (made by the tool against harperdb 4.7.29). */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type CaptureRecord, RecordKind } from '../../../src/capture/format.js';
import { CaptureInspector } from '../../../src/capture/inspect.js';
import { CaptureReader } from '../../../src/capture/reader.js';
import {
  formatDecoded,
  formatFrame,
  formatInspect,
  type InspectResult,
  jsonSafe,
} from '../../../src/report/inspect-text.js';

const capture = (name: string) => fileURLToPath(new URL(`../../../../captures/${name}`, import.meta.url));

/** The summary of a capture as inspect builds it, under the name it is shown as; and its message records. */
async function inspect(
  path: string,
  file: string,
): Promise<{ result: InspectResult; messages: CaptureRecord[] }> {
  const reader = await CaptureReader.open(path);
  const inspector = new CaptureInspector();
  const messages: CaptureRecord[] = [];
  for await (const record of reader.records()) {
    inspector.add(record);
    if (record.kind === RecordKind.MESSAGE && messages.length < 12) messages.push(record);
  }
  await reader.close();
  return { result: { file, header: reader.header, ...inspector.summary(reader.status) }, messages };
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'harper-replay-inspect-text-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('inspect summary', () => {
  it('a subscriber capture: source, frames and records by type and table, blobs, complete', async () => {
    const { result } = await inspect(capture('blobs-12x50k.hrcap'), 'captures/blobs-12x50k.hrcap');
    assert.equal(
      formatInspect(result),
      [
        'captures/blobs-12x50k.hrcap',
        '',
        '  mode               subscribe capture by harper-replay 0.1.0',
        '  source             hr-target-7ed842 ws://127.0.0.1:40505/, database media',
        '  started            2026-11-22T06:52:06.851Z, span 2.02 s, 1 connection(s)',
        '  frames             21 (19 from the source, 2 to it), 603.4 KiB',
        '  by type            NODE_NAME 2, SUBSCRIPTION_REQUEST 1, DB_SCHEMA 1, NODE_NAME_TO_ID_MAP 1, TABLE_FIXED_STRUCTURE 1, BLOB_CHUNK 12, TRANSACTION 3',
        '  records            12',
        '  by table           photos 12',
        '  by type            put 12',
        '  records/frame      min 4, p50 4, max 4',
        '  largest frame      698 B (4 records, byte 566985)',
        '  blobs              12 (600.0 KiB)',
        '  acks               0 COMMITTED_UPDATE',
        '  gaps > 1 s         none',
        '  not decoded        0 entries',
        '  complete           yes (stopped: idle)',
      ].join('\n'),
    );
  });

  it('a proxy capture: no source node name in its header, acks with the last one, a gap', async () => {
    const { result } = await inspect(capture('proxy-two-nodes.hrcap'), 'captures/proxy-two-nodes.hrcap');
    const lines = formatInspect(result).split('\n');
    assert.deepEqual(lines.slice(0, 4), [
      'captures/proxy-two-nodes.hrcap',
      '',
      '  mode               proxy capture by harper-replay 0.1.0',
      '  source             ? ws://127.0.0.1:40505/',
    ]);
    assert.ok(
      lines.includes('  acks               17 COMMITTED_UPDATE, last 1795330317886.98'),
      lines.join('\n'),
    );
    assert.ok(lines.includes('  gaps > 1 s         1.56 s at 533 ms'), lines.join('\n'));
    assert.equal(lines.at(-1), '  complete           yes (stopped: interrupted)');
  });

  it('thousands grouped, records of two types', async () => {
    const { result } = await inspect(capture('catchup-40x500.hrcap'), 'catchup.hrcap');
    const lines = formatInspect(result).split('\n');
    for (const line of [
      '  records            20,003',
      '  by table           dog 20,003',
      '  by type            put 20,001, delete 2',
      '  records/frame      min 1, p50 500, max 500',
      '  largest frame      20.5 KiB (500 records, byte 410403)',
    ])
      assert.ok(lines.includes(line), `${line} in:\n${lines.join('\n')}`);
  });

  it('a torn capture says so in its title and where it was torn', async () => {
    const torn = join(dir, 'torn.hrcap');
    copyFileSync(capture('catchup-40x500.hrcap'), torn);
    truncateSync(torn, Math.floor(statSync(torn).size / 2));
    const { result } = await inspect(torn, 'torn.hrcap');
    assert.equal(result.truncated, true);
    const lines = formatInspect(result).split('\n');
    assert.equal(lines[0], 'torn.hrcap — TRUNCATED');
    assert.equal(lines.at(-1), `  complete           no: torn at byte ${result.truncatedAt}`);
  });

  it('unknown codes and decode errors get a row each, before the verdict; an empty capture shows –', async () => {
    const { result } = await inspect(capture('blobs-12x50k.hrcap'), 'x.hrcap');
    const lines = formatInspect({
      ...result,
      unknownCodes: { '151': 2 },
      decodeErrors: [
        { offset: 1234, error: 'bad varint' },
        { offset: 2345, error: 'bad key' },
      ],
      footer: undefined,
      frames: { total: 0, byType: {}, fromSource: 0, toSource: 0 },
      records: {
        total: 0,
        byTable: {},
        byType: {},
        perFrame: { min: null, p50: null, max: null },
        notFullyDecoded: 0,
        withAdditionalAuditRefs: 0,
        additionalAuditRefs: 0,
        localOnly: 0,
      },
      largestFrame: null,
    }).split('\n');
    assert.deepEqual(lines.slice(-3), [
      '  unknown codes      {"151":2}',
      '  decode errors      2, first at byte 1234: bad varint',
      '  complete           no footer',
    ]);
    for (const line of [
      '  by type            –',
      '  by table           –',
      '  records/frame      –',
      '  largest frame      –',
    ])
      assert.ok(lines.includes(line), `${line} in:\n${lines.join('\n')}`);
  });
});

describe('inspect --list-frames and --decode lines', () => {
  it('one line per message: offset, time, connection, direction, frame type, size', async () => {
    const { messages } = await inspect(capture('proxy-two-nodes.hrcap'), 'p.hrcap');
    assert.deepEqual(messages.slice(0, 4).map(formatFrame), [
      '       337       32 ms  conn 1  →source  OPERATION_REQUEST      178 B',
      '       542       57 ms  conn 1  source→  OPERATION_RESPONSE     2.12 KiB',
      '      3095      529 ms  conn 3  →source  NODE_NAME              195 B',
      '      3317      530 ms  conn 3  source→  NODE_NAME              195 B',
    ]);
  });

  it('decoded values as JSON: bigint as a string, bytes (also JSON Buffers) as their length and first 64 bytes in hex', () => {
    assert.equal(jsonSafe('k', 12n), '12');
    assert.deepEqual(jsonSafe('k', new Uint8Array([1, 2, 255])), { bytes: 3, hex: '0102ff' });
    assert.deepEqual(jsonSafe('k', Buffer.alloc(100, 0xab).toJSON()), { bytes: 100, hex: 'ab'.repeat(64) });
    assert.equal(jsonSafe('k', 'text'), 'text');
    const line = formatDecoded({
      connection: 1,
      timeMs: 50,
      direction: 'from-source',
      table: 'photos',
      type: 'put',
      key: 1,
      version: 1795330323671,
      origin: 'n',
      value: { id: 1, big: 2n ** 70n, blob: Buffer.from('hi') },
    });
    assert.equal(line.includes('\n'), false);
    assert.deepEqual(JSON.parse(line).value, {
      id: 1,
      big: '1180591620717411303424',
      blob: { bytes: 2, hex: '6869' },
    });
  });
});
