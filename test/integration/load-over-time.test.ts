/**
 * Load over time on one real harperdb 4.7.29 (shared by the tests of this file): --stages sends what each stage
 * asks for, --duration (with --rate, or alone: open-ended) stops on time with every frame committed and verified
 * (issue 16's done-when).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunResult } from '../../src/report/result.js';
import { nodeForFile, runCli } from '../helpers/harper.js';

const node = nodeForFile();
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'harper-replay-load-over-time-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]) {
  const { user, password } = node().credentials;
  return runCli(args, { env: { HARPER_USER: user, HARPER_PASSWORD: password } });
}

async function synth(table: string, ...args: string[]): Promise<RunResult> {
  const run = await cli([
    'synth',
    '--target',
    node().operationsUrl,
    '--table',
    table,
    '--record-size',
    '128',
    '--json',
    ...args,
  ]);
  assert.equal(run.code, 0, `stderr:\n${run.stderr}\nstdout:\n${run.stdout.slice(0, 2000)}`);
  return JSON.parse(run.stdout) as RunResult;
}

describe('load over time (real harperdb 4.7.29)', () => {
  // Stages of 2–4 s keep each stage tens of frames (±10 % is a few frames) at 40 % of the 20 s schedule it had.
  it('--stages 2s:0-2000rps,4s:2000rps,2s:2000-0rps sends each stage within ±10 % of its records', async (t) => {
    const result = await synth(
      'staged',
      '--stages',
      '2s:0-2000rps,4s:2000rps,2s:2000-0rps',
      '--records-per-frame',
      '50',
    );
    const schedule = result.schedule!;
    t.diagnostic(
      schedule.stages
        .map(
          (s) =>
            `stage ${s.index + 1}: sent ${s.sentRecords} of ${s.intendedRecords}, lag p99 ${s.lagP99Ms} ms`,
        )
        .join('; '),
    );
    assert.deepEqual(
      schedule.stages.map((s) => s.intendedRecords),
      [2000, 8000, 2000],
    );
    for (const stage of schedule.stages) {
      const share = stage.sentRecords / stage.intendedRecords;
      assert.ok(
        share >= 0.9 && share <= 1.1,
        `stage ${stage.index + 1}: sent ${stage.sentRecords} of ${stage.intendedRecords}`,
      );
      assert.equal(stage.committedRecords, stage.sentRecords, `stage ${stage.index + 1} committed`);
      assert.ok(stage.lagP99Ms !== null, 'every stage measured its lag');
    }
    assert.equal(result.sent.records, 12_000);
    assert.equal(result.verify.ok, true);
    // 12,000 records over 8 s: the sender's span is the schedule's, not a burst.
    assert.ok(result.timing.sendMs! > 7200, `sent over ${result.timing.sendMs} ms`);
  });

  it('--duration 8s --rate 1000rps stops within 2 s of 8 s, every sent frame committed and verified', async (t) => {
    const result = await synth(
      'timed',
      '--duration',
      '8s',
      '--rate',
      '1000rps',
      '--records-per-frame',
      '100',
    );
    assert.equal(result.sent.frames, 80);
    assert.equal(result.committed.frames, result.sent.frames);
    assert.equal(result.committed.allFrames, true);
    assert.equal(result.verify.ok, true);
    assert.equal(result.verify.targetRecords, 8000);
    // From the first frame sent to the last commit: the run's load lasted the asked 8 s, give or take 2 s.
    const loadMs = result.timing.commitMs!;
    t.diagnostic(`first frame sent to last commit: ${loadMs} ms; sent over ${result.timing.sendMs} ms`);
    assert.ok(Math.abs(loadMs - 8000) <= 2000, `load lasted ${loadMs} ms`);
    assert.equal(result.schedule!.overall.intendedRecords, 8000);
  });
  it('--duration 6s alone: as fast as the target reads, stops within 2 s of 6 s, every sent frame committed and verified', async (t) => {
    const result = await synth('open_ended', '--duration', '6s', '--records-per-frame', '200');
    const openEnded = result.workload.openEnded!;
    const sent = openEnded.sentFrames;
    t.diagnostic(
      `${sent} frames sent over ${result.timing.sendMs} ms, last commit ${result.timing.commitMs} ms after the first send`,
    );
    assert.equal(openEnded.plannedFrames, null);
    assert.ok(sent > 1, `${sent} frames sent`);
    assert.equal(result.sent.frames - result.sent.resentFrames, sent);
    assert.equal(result.committed.frames, sent);
    assert.equal(result.committed.allFrames, true);
    assert.equal(result.verify.ok, true);
    assert.equal(result.verify.expectedRecords, sent * 200);
    assert.equal(result.verify.targetRecords, sent * 200);
    // The target's own count of the table: the frames sent, no more (the ids continued 1 … sent × 200).
    const rows = await node()
      .client()
      .sql<{ c: number; highest: number }>(
        'SELECT COUNT(*) AS c, MAX(id) AS highest FROM `data`.`open_ended`',
      );
    assert.equal(Number(rows[0]?.c), sent * 200);
    assert.equal(Number(rows[0]?.highest), sent * 200);
    // From the first frame sent to the last: the asked 6 s, give or take 2 s.
    const sendMs = result.timing.sendMs!;
    assert.ok(Math.abs(sendMs - 6000) <= 2000, `sent over ${sendMs} ms`);
    assert.equal(result.schedule, null, 'no rate: nothing scheduled');
  });

  // 10 writes keep the span (4.5 s) well above the ±10 % the checks allow and the catch-up burst it is told apart from.
  it('a backlog capture replayed with --pace-by txn-time at 1x spans its writes (10 writes 0.5 s apart: 4.5 s)', async (t) => {
    const writes = 10;
    const span = (writes - 1) * 500;
    const client = node().client();
    await client.createTable('data', 'paced', 'id');
    const since = new Date(Date.now() - 5).toISOString();
    // Each write at its own time (start + i × 500 ms), not 500 ms after the previous one returned: an insert takes
    // tens of ms on a loaded machine, and 9 of them would stretch the span past the writes' 4.5 s.
    const start = Date.now();
    const calls: Array<[number, number]> = [];
    for (let i = 0; i < writes; i++) {
      await sleep(Math.max(0, start + i * 500 - Date.now()));
      const calledAt = Date.now();
      await client.call({
        operation: 'insert',
        database: 'data',
        table: 'paced',
        records: [{ id: i + 1, n: i }],
      });
      calls.push([calledAt, Date.now()]);
    }
    // The writes' own span lies between the last call's start less the first's end and the last end less the first start.
    const [first, last] = [calls[0]!, calls.at(-1)!];
    const writeSpan = { min: last[0] - first[1], max: last[1] - first[0] };
    const file = join(dir, 'backlog.hrcap');
    const args = [
      '--source',
      node().operationsUrl,
      '--database',
      'data',
      '--since',
      since,
      '--until-idle',
      '2s',
    ];
    const capture = await cli(['capture', ...args, '--out', file]);
    assert.equal(capture.code, 0, capture.stderr);
    const replay = [
      'replay',
      file,
      '--target',
      node().operationsUrl,
      '--database',
      'replayed',
      '--origin',
      'self',
    ];
    const dry = await cli([...replay, '--pace-by', 'txn-time', '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    const plan = JSON.parse(dry.stdout);
    assert.equal(plan.paceBy, 'txn-time');
    const run = await cli([...replay, '--pace-by', 'txn-time', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as RunResult;
    assert.equal(result.committed.records, writes);
    assert.equal(result.replay!.paceBy, 'txn-time');
    const spans = result.replay!.paceSpansMs!;
    t.diagnostic(
      `writes ${writeSpan.min}–${writeSpan.max} ms apart; txn-time span ${spans.txnTime} ms, arrival span ${spans.arrival} ms, replay sent over ${result.timing.sendMs} ms`,
    );
    assert.ok(Math.abs(spans.txnTime - span) <= span / 10, `txn-time span ${spans.txnTime} ms`);
    assert.ok(
      spans.txnTime >= writeSpan.min - 5 && spans.txnTime <= writeSpan.max + 5,
      `txn-time span ${spans.txnTime} ms, the writes ${writeSpan.min}–${writeSpan.max} ms`,
    );
    assert.ok(spans.arrival < spans.txnTime / 2, `the catch-up arrived as a burst: ${spans.arrival} ms`);
    // The run sent its frames over the writes' span, as its dry run predicted.
    assert.ok(Math.abs(result.timing.sendMs! - span) <= span / 10, `sent over ${result.timing.sendMs} ms`);
    assert.equal(
      plan.scheduledDurationMs,
      result.replay!.scheduledDurationMs,
      'the dry run predicts the schedule',
    );
    assert.ok(Math.abs(plan.scheduledDurationMs - spans.txnTime) < 0.01, 'one pass paced by txn-time');
  });
});
