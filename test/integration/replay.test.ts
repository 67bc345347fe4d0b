/**
 * replay against real harperdb 4.7.29 nodes: a capture of inserts, updates, deletes and 50 KB blobs reproduces
 * the source's rows and blobs exactly; --retime applies a second pass, --no-retime does not; the captured
 * clock is kept at 1x and 4x; every committed capture replays; a target killed mid-replay names the frame to
 * resume from, and --from-frame resumes. A proxy capture between two real nodes of three databases replays all its
 * connections at once (each into its database, verified row by row, the captured interleaving kept at 1x).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Direction, RecordKind } from '../../src/capture/format.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { ExitCode } from '../../src/common/errors.js';
import type { EmbeddedNode } from '../../src/harper/embedded-node.js';
import { isControlFrame } from '../../src/protocol/control-frame.js';
import { runSynth } from '../../src/run/synth-run.js';
import {
  declareAttributes,
  killEmbeddedTargetWhenStreaming,
  readRecordsCbor,
  runCli,
  startNode,
} from '../helpers/harper.js';
import { writeTimedCapture } from '../helpers/synthetic-capture.js';

const password = `rp-${randomBytes(9).toString('hex')}`;
const credentials = { user: 'admin', password };
const env = { HARPER_USER: 'admin', HARPER_PASSWORD: password };
const MiB = 2 ** 20;
let source: EmbeddedNode;
let target: EmbeddedNode;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'harper-replay-replay-'));
  [source, target] = await Promise.all([startNode({}, { credentials }), startNode({}, { credentials })]);
});

after(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const replay = (file: string, node: EmbeddedNode, ...args: string[]) =>
  runCli(['replay', file, '--target', node.operationsUrl, '--json', ...args], { env });

async function allRows(node: EmbeddedNode, table: string, attributes: string[]) {
  await declareAttributes(
    node.client(),
    'data',
    table,
    attributes.filter((a) => a !== 'id'),
  );
  const ids = (await node.client().sql<{ id: number }>(`SELECT id FROM data.${table}`))
    .map((r) => r.id)
    .sort((a, b) => a - b);
  const rows = await readRecordsCbor(node, 'data', table, ids, attributes);
  return new Map(rows.map((row) => [row.id as number, row]));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `capture --proxy` in front of `upstream`; resolves once it listens, with its URL and a way to stop it. */
async function startProxyCapture(upstream: string, file: string) {
  let url = '';
  let child: import('node:child_process').ChildProcess | undefined;
  const done = runCli(
    ['capture', '--proxy', '--listen', '127.0.0.1:0', '--upstream', upstream, '--out', file, '--json'],
    {
      env,
      onStart: (started, output) => {
        child = started;
        const poll = setInterval(() => {
          const match = /proxy listening on (ws:\/\/\S+)/.exec(output.stderr());
          if (match) {
            url = match[1]!;
            clearInterval(poll);
          }
        }, 20);
        started.once('close', () => clearInterval(poll));
      },
    },
  );
  for (let i = 0; !url && i < 600; i++) await sleep(50);
  assert.ok(url, 'the proxy listens');
  return {
    url,
    stop: async () => {
      child?.kill('SIGINT');
      return done;
    },
  };
}

/** Polls until `count` rows are in database.table of `node`. */
async function waitForRows(node: EmbeddedNode, database: string, table: string, count: number) {
  let seen = 0;
  for (let i = 0; i < 150 && seen < count; i++) {
    const rows = await node
      .client()
      .sql<{ c: number }>(`SELECT COUNT(*) AS c FROM ${database}.${table}`)
      .catch(() => [{ c: 0 }]);
    seen = Number(rows[0]?.c ?? 0);
    if (seen < count) await sleep(200);
  }
  assert.equal(seen, count, `${database}.${table} on ${node.nodeName}`);
}

/** The database of each data frame from the source, in captured order, and its time (ms). */
async function capturedOrder(file: string, databaseOf: Map<number, string>) {
  const reader = await CaptureReader.open(file);
  const order: Array<{ database: string; ms: number }> = [];
  try {
    for await (const record of reader.records()) {
      if (record.kind !== RecordKind.MESSAGE || record.direction !== Direction.FROM_SOURCE) continue;
      const database = databaseOf.get(record.connection);
      if (database && !isControlFrame(record.payload)) order.push({ database, ms: record.timeUs / 1000 });
    }
  } finally {
    await reader.close();
  }
  return order;
}

describe('replay of a capture with several databases', () => {
  const DATABASES = { zoo: 'animal', farm: 'crop', shop: 'item' } as const;
  let receiver: EmbeddedNode;
  let capture: string;

  before(async () => {
    receiver = await startNode({}, { credentials });
  });
  after(async () => {
    await source
      ?.client()
      .call({ operation: 'remove_node', node_name: receiver?.nodeName })
      .catch(() => {});
    await receiver?.stop();
  });

  it('a proxy capture between two nodes holds one connection per database', async () => {
    const client = source.client();
    for (const [database, table] of Object.entries(DATABASES)) {
      await client.createDatabase(database);
      await client.createTable(database, table, 'id');
      // shop starts empty: its connection's first frame is a live one, a second into the capture.
      if (database === 'shop') continue;
      await client.call({
        operation: 'insert',
        database,
        table,
        records: Array.from({ length: 5 }, (_, i) => ({ id: i + 1, name: `${table} ${i + 1}` })),
      });
    }
    capture = join(dir, 'three-databases.hrcap');
    const proxy = await startProxyCapture(source.replicationUrl, capture);
    const authorization = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
    await receiver.client().addNode({ url: proxy.url, authorization, retain_authorization: true });
    await waitForRows(receiver, 'zoo', DATABASES.zoo, 5);
    await waitForRows(receiver, 'farm', DATABASES.farm, 5);
    // Live writes, round-robin over the databases, 150 ms apart: the interleaving the replay has to keep.
    for (let round = 0; round < 5; round++) {
      for (const [database, table] of Object.entries(DATABASES)) {
        const id = 100 + round;
        await client.call({ operation: 'insert', database, table, records: [{ id, name: `live ${id}` }] });
        await sleep(150);
      }
    }
    for (const [database, table] of Object.entries(DATABASES))
      await waitForRows(receiver, database, table, database === 'shop' ? 5 : 10);
    await sleep(1500); // the receiver's acks
    const stopped = await proxy.stop();
    assert.equal(stopped.code, ExitCode.OK, stopped.stderr);

    const dry = await replay(capture, target, '--dry-run');
    assert.equal(dry.code, ExitCode.OK, dry.stderr);
    const planned = JSON.parse(dry.stdout);
    assert.deepEqual(
      planned.connections.map((c: { database: string }) => c.database).sort(),
      Object.keys(DATABASES).sort(),
      'one replayed connection per database',
    );
    for (const c of planned.connections) {
      assert.deepEqual(c.tables, [DATABASES[c.database as keyof typeof DATABASES]], c.database);
      assert.ok(c.frames >= 5, `${c.database}: 5 live frames (and a full copy): ${c.frames}`);
    }
    assert.equal(
      planned.frames,
      planned.connections.reduce((sum: number, c: { frames: number }) => sum + c.frames, 0),
    );
    const one = JSON.parse(
      (await replay(capture, target, '--dry-run', '--connection', String(planned.connections[1].connection)))
        .stdout,
    );
    assert.deepEqual(
      one.connections.map((c: { database: string }) => c.database),
      [planned.connections[1].database],
      '--connection narrows it to one',
    );
  });

  it('replays every connection at once, each into its database: one stream per connection, every row verified, the interleaving kept', async () => {
    assert.ok(capture, 'the capture of the previous test');
    const samples = join(dir, 'three-databases.ndjson');
    const run = await replay(capture, target, '--speed', '1x', '--max-gap', '500ms', '--samples', samples);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.committed.allFrames, true, result.error);
    assert.equal(result.streams.length, 3, 'one stream per connection');
    const databaseOf = new Map<number, string>();
    for (const stream of result.streams) {
      assert.ok(stream.database in DATABASES, stream.database);
      assert.equal(typeof stream.connection, 'number');
      assert.equal(stream.committed.frames, stream.frames, `${stream.stream}: every frame committed`);
      assert.equal(stream.sent.frames, stream.frames, stream.stream);
      databaseOf.set(stream.connection, stream.database);
    }
    assert.equal(databaseOf.size, 3, 'three different connections');
    assert.deepEqual(
      result.replay.connections.map((c: { database: string }) => c.database).sort(),
      Object.keys(DATABASES).sort(),
    );

    for (const [database, table] of Object.entries(DATABASES)) {
      await declareAttributes(target.client(), database, table, ['name']);
      const read = async (node: EmbeddedNode) =>
        (
          await node.client().sql<{ id: number; name: string }>(`SELECT id, name FROM ${database}.${table}`)
        ).sort((a, b) => a.id - b.id);
      const expected = await read(source);
      assert.equal(expected.length, database === 'shop' ? 5 : 10);
      assert.deepEqual(await read(target), expected, `${database}.${table} verified row by row`);
    }

    // The captured order of the live frames (150 ms apart) is the replayed order, at about the captured pace.
    const captured = await capturedOrder(capture, databaseOf);
    const sent = readFileSync(samples, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((event) => event.type === 'frame-sent');
    const replayedOrder = sent.map((event) => ({ database: event.stream.split('/').at(-1), ms: event.t }));
    const live = (order: Array<{ database: string; ms: number }>) => order.slice(-15);
    assert.deepEqual(
      live(replayedOrder).map((f) => f.database),
      live(captured).map((f) => f.database),
      'the live frames go out in their captured interleaving',
    );
    const span = (order: Array<{ ms: number }>) => order.at(-1)!.ms - order[0]!.ms;
    const capturedSpan = span(live(captured));
    assert.ok(
      Math.abs(span(live(replayedOrder)) - capturedSpan) <= capturedSpan * 0.15,
      `paced like the capture: ${span(live(replayedOrder))} ms vs ${capturedSpan} ms`,
    );

    const report = await runCli(['report', samples]);
    assert.equal(report.code, ExitCode.OK, report.stderr);
    const streamLines = report.stdout.split('\n').filter((line) => /\(connection \d+\)/.test(line));
    assert.equal(streamLines.length, 3, report.stdout);
    for (const line of streamLines) assert.match(line, /(\d+)\/\1 frames committed/);
  });
});

describe('replay', () => {
  let capture: string;

  it('reproduces the source rows and blobs exactly (inserts, updates, deletes, 50 KB blobs)', async () => {
    const client = source.client();
    await client.createTable('data', 'pets', 'id');
    const since = new Date(Date.now() - 5).toISOString();
    const loaded = await runSynth({
      target: { url: source.operationsUrl, credentials },
      via: 'push',
      listenHost: '127.0.0.1',
      listenPort: 0,
      database: 'data',
      table: 'pets',
      workload: { frames: 3, recordsPerFrame: 4, recordSize: 128, blobSize: 50 * 1024, seed: 33 },
      maxReconnects: 0,
      ackTimeoutMs: 30_000,
      subscribeTimeoutMs: 30_000,
      verify: true,
      highWaterMark: 4 * MiB,
      signal: new AbortController().signal,
    });
    assert.equal(loaded.verify.targetRecords, 12, loaded.error);
    await client.call({
      operation: 'insert',
      database: 'data',
      table: 'pets',
      records: Array.from({ length: 8 }, (_, i) => ({ id: 100 + i, frame: -1, payload: `plain ${i}` })),
    });
    await client.call({
      operation: 'update',
      database: 'data',
      table: 'pets',
      records: [
        { id: 101, payload: 'updated' },
        { id: 2, payload: 'renamed blob owner' },
      ],
    });
    await client.call({ operation: 'delete', database: 'data', table: 'pets', ids: [103, 5] });

    capture = join(dir, 'pets.hrcap');
    const captured = await runCli(
      [
        'capture',
        '--source',
        source.operationsUrl,
        '--database',
        'data',
        '--since',
        since,
        '--relayed-from',
        loaded.workload.toolNodeName,
        '--until-idle',
        '2s',
        '--out',
        capture,
        '--json',
      ],
      { env },
    );
    assert.equal(captured.code, ExitCode.OK, captured.stderr);

    const run = await replay(capture, target, '--speed', 'max');
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.committed.allFrames, true);
    assert.ok(result.sent.blobs >= 12, `blob chunks replayed: ${result.sent.blobs}`);

    const attributes = ['id', 'frame', 'payload', 'blob'];
    const expected = await allRows(source, 'pets', attributes);
    const actual = await allRows(target, 'pets', attributes);
    assert.equal(expected.size, 12 + 8 - 2);
    assert.deepEqual([...actual.keys()], [...expected.keys()], 'the same ids');
    const withBlobs = [...expected.values()].filter((row) => row.blob instanceof Uint8Array).length;
    assert.equal(withBlobs, 11, 'the source holds the 12 blob records minus the deleted one');
    for (const [id, row] of expected) {
      const copy = actual.get(id)!;
      for (const attribute of ['frame', 'payload'])
        assert.deepEqual(copy[attribute], row[attribute], `${attribute} of ${id}`);
      if (row.blob instanceof Uint8Array) {
        assert.ok(
          copy.blob instanceof Uint8Array && Buffer.from(copy.blob).equals(Buffer.from(row.blob)),
          `blob of ${id}`,
        );
      } else {
        assert.equal(copy.blob, row.blob, `no blob on ${id}`);
      }
    }
  });

  it('--retime applies a second pass; --no-retime is acknowledged but changes nothing', async () => {
    const client = target.client();
    await client.call({
      operation: 'update',
      database: 'data',
      table: 'pets',
      records: [{ id: 100, payload: 'changed on the target' }],
    });
    const kept = await replay(capture, target, '--speed', 'max', '--no-retime');
    assert.equal(kept.code, ExitCode.OK, kept.stderr);
    assert.equal(JSON.parse(kept.stdout).committed.allFrames, true, 'every frame acknowledged');
    let row = (await client.searchById('data', 'pets', [100], ['payload']))[0];
    assert.equal(
      row?.payload,
      'changed on the target',
      'the captured (older) versions lose to the local change',
    );

    const retimed = await replay(capture, target, '--speed', 'max');
    assert.equal(retimed.code, ExitCode.OK, retimed.stderr);
    assert.equal(JSON.parse(retimed.stdout).committed.allFrames, true);
    row = (await client.searchById('data', 'pets', [100], ['payload']))[0];
    assert.equal(row?.payload, 'plain 0', 'new versions win: the capture is applied again');
  });

  it('keeps the captured clock: 1x takes the span, 4x a quarter, max as fast as the target reads', async () => {
    const timed = join(dir, 'timed.hrcap');
    await writeTimedCapture(timed, {
      frames: 21,
      recordsPerFrame: 200,
      spacingMs: 500,
      database: 'data',
      table: 'timed',
    });
    const span = 20 * 500;
    const one = JSON.parse((await replay(timed, target, '--speed', '1x')).stdout);
    assert.equal(one.committed.allFrames, true, one.error);
    assert.ok(
      Math.abs(one.timing.sendMs - span) <= span * 0.1,
      `1x: sent over ${one.timing.sendMs} ms for a ${span} ms span`,
    );
    assert.ok(
      one.replay.behindScheduleMs !== null && one.replay.behindScheduleMs < 1000,
      `behind ${one.replay.behindScheduleMs} ms`,
    );
    assert.equal(one.replay.scheduledDurationMs, span);
    const four = JSON.parse((await replay(timed, target, '--speed', '4x')).stdout);
    assert.ok(
      Math.abs(four.timing.sendMs - span / 4) <= (span / 4) * 0.1,
      `4x: sent over ${four.timing.sendMs} ms`,
    );
    const max = JSON.parse((await replay(timed, target, '--speed', 'max')).stdout);
    assert.equal(max.committed.allFrames, true);
    assert.equal(max.replay.behindScheduleMs, null, 'no schedule flat out');
    assert.ok(max.timing.sendMs < span / 10, `max: ${max.timing.sendMs} ms`);
  });

  it('every capture in captures/ replays into an embedded node, all frames committed', async () => {
    const folder = fileURLToPath(new URL('../../../captures/', import.meta.url));
    const files = readdirSync(folder).filter((name) => name.endsWith('.hrcap'));
    assert.ok(files.length >= 3);
    for (const name of files) {
      const run = await replay(join(folder, name), target, '--speed', 'max');
      assert.equal(run.code, ExitCode.OK, `${name}: ${run.stderr}`);
      const result = JSON.parse(run.stdout);
      assert.equal(result.committed.allFrames, true, name);
      assert.ok(result.committed.frames > 0, name);
    }
  });

  it('a target killed mid-replay: error within 15 s naming --from-frame, outputs written; --from-frame resumes', async () => {
    const timed = join(dir, 'long.hrcap');
    await writeTimedCapture(timed, {
      frames: 41,
      recordsPerFrame: 100,
      spacingMs: 250,
      database: 'data',
      table: 'longrun',
    });
    const samples = join(dir, 'killed.ndjson');
    const html = join(dir, 'killed.html');
    const killer = killEmbeddedTargetWhenStreaming(3000);
    const run = await runCli(
      ['replay', timed, '--speed', '1x', '--json', '--samples', samples, '--html', html],
      {
        env,
        onStart: killer.onStart,
      },
    );
    assert.ok(killer.killedAt() > 0, run.stderr);
    assert.ok(Date.now() - killer.killedAt() < 15_000);
    assert.equal(run.code, ExitCode.ERROR, run.stderr);
    const resume = /--from-frame (\d+)/.exec(run.stderr);
    assert.ok(resume, `the error names the frame to resume from: ${run.stderr}`);
    const from = Number(resume[1]);
    assert.ok(from > 0 && from < 41, `resume at ${from}`);
    assert.ok(existsSync(samples) && existsSync(html), 'outputs written');
    const resumed = await replay(timed, target, '--speed', 'max', '--from-frame', String(from));
    assert.equal(resumed.code, ExitCode.OK, resumed.stderr);
    const result = JSON.parse(resumed.stdout);
    assert.equal(result.sent.frames, 41 - from);
    assert.equal(result.committed.allFrames, true);
  });
});
