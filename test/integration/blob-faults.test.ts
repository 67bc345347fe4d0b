/**
 * Sender-side blob faults against one real harperdb 4.7.29 (blobTimeout 1 s, so withheld and orphan chunks time
 * out within the run): what the target logged for each kind and whether every frame was still acknowledged.
 * 28 records of 50 KB blobs, every 7th blob faulted: 4 faults per run. Acks: only withheld chunks stall them. Then the target-side fault on a node the
 * tool starts itself (the #150 fixture's failing blob writes), and its refusal for a node the user names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../../src/common/errors.js';
import { parseTargetFault } from '../../src/harper/target-faults.js';
import { openReplay, runReplay } from '../../src/run/replay-run.js';
import { runSynth, type SynthResult } from '../../src/run/synth-run.js';
import { parseBlobFaults } from '../../src/workload/blob-faults.js';
import { declareAttributes, nodeForFile, readRecordsCbor, runCli } from '../helpers/harper.js';
import { replayRunOptions, synthRunOptions, targetOf } from '../helpers/synth-options.js';

const BLOB = 50 * 1024;

const node = nodeForFile({ REPLICATION_BLOBTIMEOUT: '1000' });

function synth(
  table: string,
  faults: string,
  thresholds: string[] = [],
  nudgeAfterMs?: number,
): Promise<SynthResult> {
  return runSynth(
    synthRunOptions({
      target: targetOf(node()),
      table,
      workload: {
        frames: 4,
        recordsPerFrame: 7,
        recordSize: 128,
        blobSize: BLOB,
        seed: 5,
        blobFaults: parseBlobFaults(faults),
      },
      maxReconnects: 0,
      ...(nudgeAfterMs === undefined ? {} : { nudgeAfterMs }),
      liveness: true,
      thresholds,
      // Long enough after the last ack for the orphan transfers' 1 s timeout to be logged.
      settleMs: 2500,
    }),
  );
}

/** What the run saw, printed for the closing note's table. */
function report(kind: string, result: SynthResult) {
  const uncaught = result.workers.logErrors.first.filter((f) => f.kind === 'uncaught').map((f) => f.line);
  console.log(
    `# ${kind}: faults ${JSON.stringify(result.sent.blobFaults)}, liveness ${JSON.stringify(result.liveness)}, uncaught lines ${result.workers.logErrors.uncaught}, all frames acked ${result.committed.allFrames}, ack p50 ${result.committed.ackLatencyMs.p50} ms, records ${result.verify.targetRecords}, reconnects ${result.workers.reconnects}; first: ${uncaught[0] ?? '–'}`,
  );
  const { episodes, ...acks } = result.acks;
  console.log(
    `# ${kind}: acks ${JSON.stringify(acks)}, stalls ${JSON.stringify(episodes.map((e) => [e.atMs, e.durationMs, e.firstFrame, e.open]))}, ack latency ${JSON.stringify(result.committed.ackLatencyMs)}`,
  );
  // After the faults, a fresh write still replicates (the seed's liveness check).
  assert.deepEqual(
    { probes: result.liveness?.probes, committed: result.liveness?.committed },
    { probes: 1, committed: 1 },
  );
  return uncaught;
}

describe('blob faults on harperdb 4.7.29', () => {
  it('error: every faulted blob is an uncaughtException "Blob error: …" naming its record; every frame still acked', async () => {
    const result = await synth('faults_error', 'error:7', ['uncaughtExceptions==0']);
    const uncaught = report('error', result);
    assert.deepEqual(result.sent.blobFaults, { error: 4 });
    assert.ok(result.workers.logErrors.uncaught >= 4, `${result.workers.logErrors.uncaught} uncaught lines`);
    for (const line of uncaught)
      assert.match(
        line,
        /uncaughtException Error: Blob error: harper-replay injected blob fault for record (7|14|21|28) from harper-replay-/,
      );
    assert.equal(result.committed.allFrames, true);
    assert.equal(result.verify.targetRecords, 28);
    assert.equal(result.workers.reconnects, 0, 'the connection survived');
    assert.equal(result.workers.blobLines.blobError, result.workers.logErrors.uncaught);
    // No wait for a timeout: the cursor never stood as long as the blob timeout (seen: 60–570 ms at most).
    assert.equal(result.acks.unackedFrames, 0);
    assert.ok((result.acks.longestStallMs ?? 0) < 1000, `longest ack stall ${result.acks.longestStallMs} ms`);
    // The metric a #150-style regression gate uses: 4.7.29 has the defect, so this breaches.
    assert.deepEqual(
      result.thresholds.map((v) => [v.expression, v.value, v.ok]),
      [['uncaughtExceptions==0', result.workers.logErrors.uncaught, false]],
    );
  });

  it('withhold: the node waits blobTimeout for the chunks, logs "Timeout waiting for blob stream", and acks stall from the first frame on', async () => {
    const result = await synth('faults_withhold', 'withhold:7', ['ackStallMs<1s', 'unackedFrames==0']);
    const uncaught = report('withhold', result);
    assert.deepEqual(result.sent.blobFaults, { withhold: 4 });
    assert.ok(result.workers.logErrors.uncaught >= 4);
    for (const line of uncaught)
      assert.match(
        line,
        /uncaughtException Error: Timeout waiting for blob stream in replication from harper-replay-/,
      );
    assert.equal(result.committed.allFrames, true);
    assert.ok((result.committed.ackLatencyMs.p50 ?? 0) >= 1000, 'acks waited for the blob timeout');
    // Frame 0's withheld blob holds the cursor and every frame behind it waits: one stall of at least the blob
    // timeout (seen: 1.55 s; it ends at the tool's first empty nudge frame after the timeout).
    assert.ok(result.acks.stalls >= 1);
    assert.ok(
      (result.acks.longestStallMs ?? 0) >= 1000,
      `longest ack stall ${result.acks.longestStallMs} ms`,
    );
    assert.equal(result.acks.episodes[0]?.firstFrame, 0);
    assert.equal(result.acks.unackedFrames, 0);
    assert.deepEqual(
      result.thresholds.map((v) => [v.expression, v.ok]),
      [
        ['ackStallMs<1s', false],
        ['unackedFrames==0', true],
      ],
    );
    assert.equal(result.verify.targetRecords, 28);
  });

  it('withhold, nudging only after 4 s: 4.7.29 acks nothing when the blob timeout lets the frames through; the stall lasts until the next frame', async () => {
    const result = await synth('faults_withhold_late', 'withhold:7', [], 4000);
    report('withhold, nudge 4 s', result);
    // Had the target acked at its 1 s blob timeout (the check runs every second: by 2 s), the stall would end
    // there. Seen: 2.08 s with the nudge at 2 s, 15.05 s at 15 s.
    assert.ok(
      (result.acks.longestStallMs ?? 0) >= 4000,
      `longest ack stall ${result.acks.longestStallMs} ms`,
    );
    assert.equal(result.acks.episodes[0]?.firstFrame, 0);
    assert.equal(result.acks.unackedFrames, 0, 'the nudge frame acks them all');
    assert.equal(result.verify.targetRecords, 28);
  });

  it('truncate: nothing logged, every frame acked, and the short blob is stored as if whole (it does not read back)', async () => {
    const result = await synth('faults_truncate', 'truncate:7');
    report('truncate', result);
    assert.deepEqual(result.sent.blobFaults, { truncate: 4 });
    assert.equal(result.workers.logErrors.uncaught, 0);
    assert.equal(result.committed.allFrames, true);
    assert.equal(result.acks.unackedFrames, 0);
    assert.ok((result.acks.longestStallMs ?? 0) < 1000, `longest ack stall ${result.acks.longestStallMs} ms`);
    assert.equal(result.verify.targetRecords, 28);
    await declareAttributes(node().client(), 'data', 'faults_truncate', ['blob']);
    const length = (rows: Array<Record<string, unknown>>) =>
      (rows[0]?.blob as Uint8Array | undefined)?.length;
    assert.equal(length(await readRecordsCbor(node(), 'data', 'faults_truncate', [8], ['id', 'blob'])), BLOB);
    // The faulted blob was stored with its declared size and half its bytes: reading it back cuts the response
    // short (seen: fetch "terminated"), or at best gives fewer bytes. Either way the record is not whole.
    const faulted = await readRecordsCbor(node(), 'data', 'faults_truncate', [7], ['id', 'blob']).then(
      (rows) => `${length(rows)} bytes`,
      (error: Error) => `read failed: ${error.message}`,
    );
    console.log(`# truncate: record 7's blob (${BLOB} declared, ${BLOB / 2} sent): ${faulted}`);
    assert.notEqual(faulted, `${BLOB} bytes`);
  });

  it('orphan: chunks for a fileId no record has time out on their own ("Timeout waiting for blob stream"); the data is unharmed', async () => {
    const result = await synth('faults_orphan', 'orphan:7');
    const uncaught = report('orphan', result);
    assert.deepEqual(result.sent.blobFaults, { orphan: 4 });
    assert.ok(result.workers.logErrors.uncaught >= 1, 'the orphan streams time out');
    for (const line of uncaught) assert.match(line, /Timeout waiting for blob stream/);
    assert.equal(result.committed.allFrames, true);
    // The orphan chunks belong to no record: no frame waits for them.
    assert.equal(result.acks.unackedFrames, 0);
    assert.ok((result.acks.longestStallMs ?? 0) < 1000, `longest ack stall ${result.acks.longestStallMs} ms`);
    assert.equal(result.verify.targetRecords, 28);
  });
});

describe('replay --blob-faults on harperdb 4.7.29', () => {
  it('faults the captured blobs of blobs-12x50k (blob n = the nth fileId): counted per kind, logged by the node, every frame acked', async () => {
    const file = fileURLToPath(new URL('../../../captures/blobs-12x50k.hrcap', import.meta.url));
    const replay = {
      speed: Number.POSITIVE_INFINITY,
      speedLabel: 'max',
      loops: 1,
      fromFrame: 0,
      retime: true,
      origin: 'capture',
      blobFaults: parseBlobFaults('error:4,withhold:5,truncate:6,orphan:7'),
    };
    const result = await runReplay(
      replayRunOptions({
        target: targetOf(node()),
        database: 'media',
        maxReconnects: 0,
        verify: false,
        settleMs: 2500,
        capture: file,
        replay,
      }),
      await openReplay(file, replay),
    );
    const uncaught = result.workers.logErrors.first.filter((f) => f.kind === 'uncaught').map((f) => f.line);
    console.log(
      `# replay: faults ${JSON.stringify(result.sent.blobFaults)}, blob lines ${JSON.stringify(result.workers.blobLines)}, uncaught ${result.workers.logErrors.uncaught}, all frames acked ${result.committed.allFrames}, ack p50 ${result.committed.ackLatencyMs.p50} ms; first: ${uncaught[0] ?? '–'}`,
    );
    assert.equal(result.exitCode, ExitCode.OK, result.error);
    // Blobs 4, 8, 12 error; 5, 10 withheld; 6 truncated; 7 orphaned.
    assert.deepEqual(result.sent.blobFaults, { error: 3, withhold: 2, truncate: 1, orphan: 1 });
    assert.deepEqual(result.workload.blobFaults, replay.blobFaults);
    assert.equal(result.committed.allFrames, true);
    // One "Blob error" per error fault on a quiet machine; under load (CI, a load of 4–18) 4.7.29 logged one of them
    // twice (4 or 5 lines for 3 faults). Every fault is logged, at most twice, and only faulted records are named.
    const blobErrors = result.workers.blobLines.blobError;
    assert.ok(blobErrors >= 3 && blobErrors <= 6, `${blobErrors} "Blob error" lines for 3 error faults`);
    assert.ok(result.workers.blobLines.blobTimeout >= 2, 'the withheld and orphan streams time out');
    for (const line of uncaught.filter((l) => /Blob error/.test(l)))
      assert.match(line, /Blob error: harper-replay injected blob fault for record (4|8|12) /);
    // An unfaulted record's blob landed whole.
    await declareAttributes(node().client(), 'media', 'photos', ['blob']);
    const rows = await readRecordsCbor(node(), 'media', 'photos', [1], ['id', 'blob']);
    assert.equal((rows[0]?.blob as Uint8Array | undefined)?.length, BLOB);
  });
});

describe('--target-fault', () => {
  it('with --target: exit 2 before anything is dialed (the tool never installs code on a user node)', async () => {
    const run = await runCli([
      'synth',
      '--target',
      'http://127.0.0.1:1',
      '--password',
      'x',
      '--target-fault',
      'blob-write-fail:7',
      '--json',
    ]);
    assert.equal(run.code, ExitCode.USAGE, run.stderr);
    assert.match(run.stderr, /--target-fault .* only on the embedded target .* never with --target/);
    assert.doesNotMatch(run.stderr, /refused|unreachable|ECONNREFUSED/, 'nothing was dialed');
  });

  it('blob-write-fail:7 on the embedded node: armed (checked), fires 4 times, 4.7.29 lets each escape as uncaughtException, the frames and a fresh write still commit', async () => {
    const result = await runSynth(
      synthRunOptions({
        target: { embedded: { faults: [parseTargetFault('blob-write-fail:7')] } },
        table: 'target_fault',
        workload: { frames: 4, recordsPerFrame: 7, recordSize: 128, blobSize: BLOB, seed: 9 },
        maxReconnects: 0,
        liveness: true,
        thresholds: ['uncaughtExceptions==0'],
      }),
    );
    console.log(
      `# target fault: ${JSON.stringify(result.target.faults)} fired ${result.workers.targetFaultsFired}, uncaught ${result.workers.logErrors.uncaught}, acked ${result.committed.allFrames}, records ${result.verify.targetRecords}, liveness ${JSON.stringify(result.liveness)}`,
    );
    assert.deepEqual(result.target.faults, ['blob-write-fail every 7']);
    assert.equal(result.workers.targetFaultsFired, 4);
    assert.ok(result.workers.logErrors.uncaught >= 4);
    for (const entry of result.workers.logErrors.first.filter((f) => f.kind === 'uncaught')) {
      assert.match(
        entry.line,
        /uncaughtException \[Error: ENOENT: no such file or directory, open '.*harper-replay-missing/,
      );
    }
    assert.equal(result.committed.allFrames, true);
    assert.equal(result.verify.targetRecords, 28);
    assert.deepEqual(
      { probes: result.liveness?.probes, committed: result.liveness?.committed },
      { probes: 1, committed: 1 },
    );
    assert.equal(result.thresholds[0]?.ok, false, 'uncaughtExceptions==0 is breached on 4.7.29');
    assert.equal(result.cleanup.targetStopped, true);
  });

  it('--preset blob-save-failures: exit 99 naming the breached uncaughtExceptions==0; --no-preset-thresholds reports the same and exits 0', async () => {
    const judged = await runCli(['synth', '--preset', 'blob-save-failures', '--json']);
    assert.equal(judged.code, ExitCode.THRESHOLD_BREACHED, judged.stderr);
    const result = JSON.parse(judged.stdout) as SynthResult;
    assert.deepEqual(
      result.thresholds.map((v) => [v.expression, v.ok]),
      [
        ['uncaughtExceptions==0', false],
        ['livenessMs<30s', true],
      ],
    );
    assert.match(judged.stderr, /uncaughtExceptions==0/);
    assert.equal(result.verify.targetRecords, 400);
    assert.equal(result.workers.targetFaultsFired, Math.floor(400 / 7));
    const reported = await runCli([
      'synth',
      '--preset',
      'blob-save-failures',
      '--no-preset-thresholds',
      '--json',
    ]);
    assert.equal(reported.code, ExitCode.OK, reported.stderr);
    const again = JSON.parse(reported.stdout) as SynthResult;
    assert.deepEqual(again.thresholds, []);
    assert.ok(again.workers.logErrors.uncaught > 0, 'still reported');
    assert.equal(again.liveness?.committed, 1);
  });
});
