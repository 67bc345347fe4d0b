/**
 * Load over time on one real harperdb 4.7.29 (shared by the tests of this file): --stages sends what each stage
 * asks for, --duration stops on time with every frame committed and verified (issue 16's done-when).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EmbeddedNode } from '../../src/harper/embedded-node.js';
import type { RunResult } from '../../src/report/result.js';
import { runCli, startNode } from '../helpers/harper.js';

let node: EmbeddedNode;

before(async () => {
  node = await startNode();
});

after(async () => {
  await node?.stop();
});

async function synth(table: string, ...args: string[]): Promise<RunResult> {
  const { user, password } = node.credentials;
  const run = await runCli(
    ['synth', '--target', node.operationsUrl, '--table', table, '--record-size', '128', '--json', ...args],
    { env: { HARPER_USER: user, HARPER_PASSWORD: password } },
  );
  assert.equal(run.code, 0, `stderr:\n${run.stderr}\nstdout:\n${run.stdout.slice(0, 2000)}`);
  return JSON.parse(run.stdout) as RunResult;
}

describe('load over time (real harperdb 4.7.29)', () => {
  it('--stages 5s:0-2000rps,10s:2000rps,5s:2000-0rps sends each stage within ±10 % of its records', async () => {
    const result = await synth(
      'staged',
      '--stages',
      '5s:0-2000rps,10s:2000rps,5s:2000-0rps',
      '--records-per-frame',
      '50',
    );
    const schedule = result.schedule!;
    assert.deepEqual(
      schedule.stages.map((s) => s.intendedRecords),
      [5000, 20_000, 5000],
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
    assert.equal(result.sent.records, 30_000);
    assert.equal(result.verify.ok, true);
    // 30,000 records over 20 s: the sender's span is the schedule's, not a burst.
    assert.ok(result.timing.sendMs! > 18_000, `sent over ${result.timing.sendMs} ms`);
  });

  it('--duration 20s --rate 1000rps stops within 2 s of 20 s, every sent frame committed and verified', async () => {
    const result = await synth(
      'timed',
      '--duration',
      '20s',
      '--rate',
      '1000rps',
      '--records-per-frame',
      '100',
    );
    assert.equal(result.sent.frames, 200);
    assert.equal(result.committed.frames, result.sent.frames);
    assert.equal(result.committed.allFrames, true);
    assert.equal(result.verify.ok, true);
    assert.equal(result.verify.targetRecords, 20_000);
    // From the first frame sent to the last commit: the run's load lasted the asked 20 s, give or take 2 s.
    const loadMs = result.timing.commitMs!;
    assert.ok(Math.abs(loadMs - 20_000) <= 2000, `load lasted ${loadMs} ms`);
    assert.equal(result.schedule!.overall.intendedRecords, 20_000);
  });
});
