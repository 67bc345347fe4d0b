/**
 * `inspect` (the CLI, text and --json) of a capture holding the Harper 5.x frames built from the source
 * (test/fixtures/harper5/frames.ts): every frame listed by kind, the additional audit refs decoded with their origins
 * named, and the entry it cannot fully decode counted and shown with its bytes. No Harper node is needed: 5.x cannot
 * be installed here, so the capture is written by the test with the capture writer.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pack } from 'msgpackr';
import { Direction, FORMAT_VERSION } from '../../src/capture/format.js';
import { CaptureWriter } from '../../src/capture/writer.js';
import { harper5Fixtures, PUT_REFS, unknownFlagFrame } from '../fixtures/harper5/frames.js';
import { runCli } from '../helpers/harper.js';

const dir = mkdtempSync(join(tmpdir(), 'harper5-capture-'));
const file = join(dir, 'harper5.hrcap');
after(() => rmSync(dir, { recursive: true, force: true }));

before(async () => {
  const startedAtMs = Date.now();
  const writer = await CaptureWriter.create(file, {
    tool: 'harper-replay',
    toolVersion: 'test',
    formatVersion: FORMAT_VERSION,
    mode: 'subscribe',
    startedAtMs,
    startedAt: new Date(startedAtMs).toISOString(),
    source: { url: 'ws://127.0.0.1:1/', nodeName: 'node-5' },
    database: 'data',
    subscription: { since: 0, tables: ['dog'], acked: true },
    tables: [{ table: 'dog', attributes: [{ name: 'id' }] }],
  } as never);
  // The node-id map and table structure a 5.x sender sends first (both unchanged from 4.7).
  writer.message(
    Direction.FROM_SOURCE,
    1,
    pack([141, { 'node-5': 1, 'node-a': 3, 'node-b': 200 }, ['node-5']]),
  );
  writer.message(
    Direction.FROM_SOURCE,
    1,
    pack([
      132,
      { typedStructs: [], structures: [], attributes: [{ name: 'id' }], schemaDefined: false },
      2,
      'dog',
    ]),
  );
  for (const fixture of harper5Fixtures) writer.message(Direction.FROM_SOURCE, 1, fixture.bytes);
  writer.message(Direction.FROM_SOURCE, 1, unknownFlagFrame);
  await writer.close({ endedAtMs: Date.now(), structures: [], reason: 'test' });
});

interface InspectJson {
  exitCode: number;
  frames: { byType: Record<string, number> };
  records: {
    byType: Record<string, number>;
    notFullyDecoded: number;
    withAdditionalAuditRefs: number;
    additionalAuditRefs: number;
    localOnly: number;
  };
  controlFramesWithUnknownParts: number;
  undecoded: Array<{ what: string; reason: string; hex: string }>;
  decodedRecords: Array<{
    type: string;
    additionalAuditRefs?: Array<{ origin: string | number }>;
    user?: string;
  }>;
}

describe('inspect of a capture with Harper 5.x frames', () => {
  it('--json: frames by kind, refs decoded with named origins, one entry not fully decoded', async () => {
    const run = await runCli(['inspect', file, '--json', '--decode']);
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout) as InspectJson;
    for (const kind of [
      'NODE_NAME',
      'SUBSCRIPTION_REQUEST',
      'DB_SCHEMA',
      'SUBSCRIPTION_UPDATE',
      'COPY_START',
      'COPY_COMPLETE',
      'COMMITTED_UPDATE',
    ])
      assert.equal(doc.frames.byType[kind], 1, kind);
    assert.equal(doc.frames.byType.BLOB_CHUNK, 3);
    assert.equal(doc.frames.byType.TRANSACTION, 3);
    assert.deepEqual(doc.records.byType, { put: 3, evict: 1, lockRelease: 1, delete: 1 });
    assert.equal(doc.records.withAdditionalAuditRefs, 2);
    assert.equal(doc.records.additionalAuditRefs, PUT_REFS.length);
    assert.equal(doc.records.localOnly, 1);
    assert.equal(doc.records.notFullyDecoded, 1);
    assert.equal(doc.controlFramesWithUnknownParts, 0);
    assert.equal(doc.undecoded[0]?.reason, 'unknown action flag bits 0x40');
    assert.match(doc.undecoded[0]!.hex, /^dead/);
    const withRefs = doc.decodedRecords.find((r) => r.additionalAuditRefs?.length);
    assert.deepEqual(
      withRefs?.additionalAuditRefs?.map((r) => r.origin),
      ['node-a', 'node-b'],
    );
    assert.equal(withRefs?.user, 'admin');
  });

  it('text: the not-decoded count and the 5.x rows', async () => {
    const run = await runCli(['inspect', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /COPY_START 1/);
    assert.match(run.stdout, /additional refs\s+2 entries carry 2 \(Harper 5\.x flag 0x4000\)/);
    assert.match(run.stdout, /not decoded\s+1 entries; first: put entry .*unknown action flag bits 0x40/);
  });
});
