/**
 * capture and inspect against real harperdb 4.7.29 nodes: the exact records of inserts, updates and deletes (full
 * copy and audit history), a 100,000-record full copy in bounded memory, a proxy between two linked nodes, a
 * capture killed mid-stream, and no credentials anywhere.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CaptureInspector } from '../../src/capture/inspect.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { ExitCode } from '../../src/common/errors.js';
import type { EmbeddedNode } from '../../src/harper/embedded-node.js';
import { runSynth } from '../../src/run/synth-run.js';
import { runCli, startNode } from '../helpers/harper.js';

const password = `cap-${randomBytes(9).toString('hex')}`;
const credentials = { user: 'admin', password };
const env = { HARPER_USER: 'admin', HARPER_PASSWORD: password };
let source: EmbeddedNode;
let receiver: EmbeddedNode;
let dir: string;
const outputs: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'harper-replay-capture-'));
  [source, receiver] = await Promise.all([startNode({}, { credentials }), startNode({}, { credentials })]);
  await source.client().createTable('data', 'dog', 'id', [
    { name: 'id', type: 'ID' },
    { name: 'name', type: 'String' },
    { name: 'age', type: 'Int' },
  ]);
});

after(async () => {
  await Promise.all([source?.stop(), receiver?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]) {
  const run = await runCli(args, { env });
  outputs.push(run.stdout, run.stderr);
  return run;
}

function decodedLines(stdout: string): Array<{ table: string; type: string; key: string; value?: unknown }> {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** Peak RSS of a child process: poll VmHWM until it exits. */
function watchPeakRss(pid: number): () => number {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) peak = Math.max(peak, Number(match[1]) * 1024);
    } catch {
      clearInterval(timer);
    }
  }, 20);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

describe('capture and inspect', () => {
  it('captures inserts, updates and deletes exactly, as a full copy and from the audit history', async () => {
    const client = source.client();
    const before = new Date(Date.now() - 5).toISOString();
    const dogs = Array.from({ length: 30 }, (_, i) => ({ id: `d${i}`, name: `dog ${i}`, age: i % 15 }));
    await client.call({ operation: 'insert', database: 'data', table: 'dog', records: dogs });
    const updates = dogs.slice(0, 5).map((d) => ({ ...d, name: `${d.name} (renamed)`, age: d.age + 1 }));
    await client.call({ operation: 'upsert', database: 'data', table: 'dog', records: updates });
    const deleted = ['d25', 'd26', 'd27'];
    await client.call({ operation: 'delete', database: 'data', table: 'dog', ids: deleted });

    const history = join(dir, 'history.hrcap');
    const run = await cli([
      'capture',
      '--source',
      source.operationsUrl,
      '--database',
      'data',
      '--since',
      before,
      '--until-idle',
      '2s',
      '--out',
      history,
      '--json',
    ]);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const captured = JSON.parse(run.stdout);
    assert.equal(captured.records, 30 + 5 + 3);
    const lines = decodedLines((await cli(['inspect', history, '--decode'])).stdout);
    assert.deepEqual(
      lines.map((l) => [l.type, l.key, l.value ?? null]),
      [
        ...dogs.map((d) => ['put', d.id, d]),
        ...updates.map((d) => ['put', d.id, d]),
        ...deleted.map((id) => ['delete', id, null]),
      ],
      'the audit history, write by write',
    );

    const full = join(dir, 'full.hrcap');
    assert.equal(
      (
        await cli([
          'capture',
          '--source',
          source.operationsUrl,
          '--database',
          'data',
          '--since',
          '0',
          '--until-idle',
          '2s',
          '--out',
          full,
        ])
      ).code,
      ExitCode.OK,
    );
    const state = decodedLines((await cli(['inspect', full, '--decode'])).stdout);
    const current = new Map(dogs.map((d) => [d.id, d]));
    for (const u of updates) current.set(u.id, u);
    for (const id of deleted) current.delete(id);
    assert.deepEqual(
      new Map(state.filter((l) => l.value !== null && l.value !== undefined).map((l) => [l.key, l.value])),
      current,
      'the full copy holds the current rows',
    );
    // A 4.7.29 full copy also carries the deleted rows as value-less entries (tombstones).
    assert.deepEqual(
      state
        .filter((l) => l.value === null || l.value === undefined)
        .map((l) => l.key)
        .sort(),
      deleted,
    );
  });

  it('captures a full copy of 100,000 records with no frame lost and under 200 MB of tool RSS', async () => {
    const loaded = await runSynth({
      target: { url: source.operationsUrl, credentials },
      via: 'push',
      listenHost: '127.0.0.1',
      listenPort: 0,
      database: 'data',
      table: 'bulk',
      workload: { frames: 10, recordsPerFrame: 10_000, recordSize: 256, blobSize: 0, seed: 9 },
      maxReconnects: 1,
      ackTimeoutMs: 60_000,
      subscribeTimeoutMs: 30_000,
      verify: true,
      highWaterMark: 4 * 2 ** 20,
      signal: new AbortController().signal,
    });
    assert.equal(loaded.verify.targetRecords, 100_000, loaded.error);
    const file = join(dir, 'bulk.hrcap');
    let peak: () => number = () => 0;
    const run = await runCli(
      [
        'capture',
        '--source',
        source.operationsUrl,
        '--database',
        'data',
        '--tables',
        'bulk',
        '--since',
        '0',
        '--until-idle',
        '3s',
        '--out',
        file,
        '--json',
      ],
      {
        env,
        onStart: (child) => {
          peak = watchPeakRss(child.pid!);
        },
      },
    );
    const rss = peak();
    assert.equal(run.code, ExitCode.OK, run.stderr);
    assert.match(run.stderr, /ignores table filters in a full copy/);
    // 4.7.29 sends every table in a full copy (the tool says so): the bulk table is all there.
    assert.ok(rss > 0 && rss < 200 * 2 ** 20, `tool peak RSS ${(rss / 2 ** 20).toFixed(1)} MiB`);
    const inspected = JSON.parse((await cli(['inspect', file, '--json'])).stdout);
    assert.equal(inspected.records.byTable.bulk, 100_000);
    assert.equal(inspected.truncated, false);
  });

  it('a capture killed with SIGKILL leaves a truncated file whose complete records all read', async () => {
    const file = join(dir, 'killed.hrcap');
    await source.client().createTable('data', 'stream', 'id');
    let stderrOf = () => '';
    const capture = runCli(
      [
        'capture',
        '--source',
        source.operationsUrl,
        '--database',
        'data',
        '--tables',
        'stream',
        '--since',
        'now',
        '--flush-interval',
        '100ms',
        '--out',
        file,
      ],
      { env, onStart: (_child, output) => (stderrOf = output.stderr) },
    );
    // Writes start once the capture has subscribed (a fixed wait lost the first writes on a loaded machine).
    const subscribedBy = Date.now() + 60_000;
    while (!/capturing from /.test(stderrOf()) && Date.now() < subscribedBy) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(stderrOf(), /capturing from /, 'the capture subscribed');
    // Writes through the operations API originate on the source itself: what a default subscription carries.
    const load = (async () => {
      for (let batch = 0; batch < 60; batch++) {
        const records = Array.from({ length: 100 }, (_, i) => ({
          id: batch * 100 + i + 1,
          value: `v${batch}`,
        }));
        await source.client().call({ operation: 'insert', database: 'data', table: 'stream', records });
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const child = (await Promise.race([
      capture,
      new Promise((resolve) => setTimeout(resolve, 0, null)),
    ])) as null;
    assert.equal(child, null, 'the capture is still running');
    // Kill it the hard way, mid-stream.
    const pid = Number(
      readdirSync('/proc').find(
        (entry) => /^\d+$/.test(entry) && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(file),
      ),
    );
    process.kill(pid, 'SIGKILL');
    const killed = await capture;
    assert.equal(killed.signal, 'SIGKILL');
    await load;
    const inspect = await cli(['inspect', file, '--json']);
    assert.equal(inspect.code, ExitCode.OK, inspect.stderr);
    assert.match(inspect.stderr, /truncated at byte \d+/);
    const summary = JSON.parse(inspect.stdout);
    assert.equal(summary.truncated, true);
    assert.ok(summary.records.total >= 100, `records read: ${summary.records.total}`);
    // Every complete record is there: the ids read form an unbroken prefix of what was written.
    const reader = await CaptureReader.open(file);
    const inspector = new CaptureInspector();
    const ids: number[] = [];
    for await (const record of reader.records())
      for (const entry of inspector.add(record, true)) ids.push(entry.key as number);
    await reader.close();
    assert.deepEqual(
      ids,
      Array.from({ length: ids.length }, (_, i) => i + 1),
    );
  });

  it('proxies two linked nodes: replication completes and both directions are recorded', async () => {
    const file = join(dir, 'proxy.hrcap');
    let proxyUrl = '';
    let proxyChild: ChildProcess | undefined;
    const done = runCli(
      [
        'capture',
        '--proxy',
        '--listen',
        '127.0.0.1:0',
        '--upstream',
        source.replicationUrl,
        '--out',
        file,
        '--json',
      ],
      {
        env,
        onStart: (child, output) => {
          proxyChild = child;
          const poll = setInterval(() => {
            const match = /proxy listening on (ws:\/\/\S+)/.exec(output.stderr());
            if (match) {
              proxyUrl = match[1]!;
              clearInterval(poll);
            }
          }, 20);
        },
      },
    );
    while (!proxyUrl) await new Promise((resolve) => setTimeout(resolve, 50));
    const authorization = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
    await receiver.client().addNode({ url: proxyUrl, authorization, retain_authorization: true });
    // Wait for the initial full copy (it ends with tail 0, which 4.7.29 never acks); then write live.
    for (let i = 0; i < 100; i++) {
      const rows = await receiver
        .client()
        .sql<{ c: number }>('SELECT COUNT(*) AS c FROM data.dog')
        .catch(() => [{ c: 0 }]);
      if (Number(rows[0]?.c) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: `p${i}`, name: `proxied ${i}`, age: i }));
    await source.client().call({ operation: 'insert', database: 'data', table: 'dog', records: rows });
    let count = 0;
    for (let i = 0; i < 100 && count < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      count = Number(
        (
          await receiver
            .client()
            .sql<{ c: number }>("SELECT COUNT(*) AS c FROM data.dog WHERE name LIKE 'proxied%'")
            .catch(() => [{ c: 0 }])
        )[0]?.c ?? 0,
      );
    }
    assert.equal(count, 50, 'the receiving node got every record through the proxy');
    // Rows written during the receiver's catch-up travel in catch-up frames (one tail at the end, acks that
    // 4.7.29 may coalesce away); one more write once it is live is a frame of its own, tail and ack included.
    await source.client().call({
      operation: 'insert',
      database: 'data',
      table: 'dog',
      records: [{ id: 'p-final', name: 'final', age: 1 }],
    });
    for (let i = 0; i < 50; i++) {
      const rows = await receiver
        .client()
        .searchById('data', 'dog', ['p-final'], ['id'])
        .catch(() => []);
      if (rows.length) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The receiver acks after it commits: give it a moment, then stop the proxy the way a user does.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    proxyChild?.kill('SIGINT');
    const run = await done;
    outputs.push(run.stdout, run.stderr);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const inspected = JSON.parse((await cli(['inspect', file, '--json'])).stdout);
    assert.ok(inspected.frames.fromSource > 0 && inspected.frames.toSource > 0, 'both directions');
    assert.ok(
      inspected.frames.byType.COMMITTED_UPDATE >= 1,
      `the receiver acks are in the capture: ${JSON.stringify(inspected.frames)}`,
    );
    assert.ok(inspected.records.byTable.dog >= 50, JSON.stringify(inspected.records));
    assert.equal(inspected.footer.sourceNodeName, source.nodeName, 'the footer names the source');
    assert.match((await cli(['inspect', file])).stdout, new RegExp(`source +${source.nodeName} ws://`));
  });

  it('the admin password appears in no capture file and no output', () => {
    const encoded = Buffer.from(`admin:${password}`).toString('base64');
    for (const name of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, name));
      assert.equal(bytes.includes(password), false, `${name} holds the password`);
      assert.equal(bytes.includes(encoded), false, `${name} holds the Basic credential`);
    }
    for (const text of outputs) {
      assert.equal(text.includes(password), false, 'an output holds the password');
      assert.equal(text.includes(encoded), false, 'an output holds the Basic credential');
    }
  });
});
