/**
 * bench against real embedded harperdb 4.7.29 nodes: a key the target does not know, an interrupted bench that
 * leaves nothing behind, and a bench against the user's own node. The settings matrix with repetitions (pauses read
 * back, every run in --json, the charts in Chromium) shares compare.test.ts's bench: four node starts, not eight.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCode } from '../../src/common/errors.js';
import { flattenConfiguration } from '../../src/harper/reconfigure.js';
import { isAlive, runCli, startNode, whenStreaming } from '../helpers/harper.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'harper-replay-bench-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface BenchJson {
  interrupted: boolean;
  settings: Array<{
    set: Record<string, string>;
    applied: Record<string, boolean>;
    runs: number;
    median: Record<string, number | null>;
    best: string[];
  }>;
  runs: Array<{
    combination: number;
    repetition: number;
    result: {
      outcome: string;
      target: { pid?: number; rootDir?: string };
      pauses: { targetLogged: number | null };
    };
  }>;
}

describe('bench', () => {
  it('a key the target does not know is reported as not applied', async () => {
    const run = await runCli([
      'bench',
      '--set',
      'REPLICATION_RECEIVEEVENTHIGHWATERMARK=5',
      '--repeat',
      '1',
      '--frames',
      '2',
      '--records-per-frame',
      '100',
    ]);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    assert.match(run.stdout, /NO \(REPLICATION_RECEIVEEVENTHIGHWATERMARK\)/);
    assert.match(run.stdout, /REPLICATION_RECEIVEEVENTHIGHWATERMARK not applied by the target/);
    // The read-back decides "not applied"; the version knowledge says why: the key is 5.x only.
    assert.match(
      run.stdout,
      /replication\.receiveEventHighWaterMark exists only in Harper Pro 5\.x \(default 100\); the target runs 4\.7\.29/,
    );
    assert.match(run.stdout, /target: Harper 4\.7\.29 \(verified live/);
  });

  it('SIGINT: stops the current node, writes what it has, leaves no process or temp dir', async () => {
    const run = await runCli(
      [
        'bench',
        '--set',
        'REPLICATION_RECORDCONCURRENCY=2,150',
        '--repeat',
        '3',
        '--frames',
        '400',
        '--records-per-frame',
        '1000',
        '--rate',
        '20',
        '--json',
      ],
      {
        onStart: whenStreaming(1500, (child) => child.kill('SIGINT')).onStart,
      },
    );
    assert.equal(run.code, ExitCode.INTERRUPTED, run.stderr);
    const result = JSON.parse(run.stdout) as BenchJson;
    assert.equal(result.interrupted, true);
    assert.equal(result.runs.length, 1, 'the run in progress is reported');
    assert.equal(result.runs[0]!.result.outcome, 'interrupted');
    const { pid, rootDir } = result.runs[0]!.result.target;
    assert.ok(pid && rootDir);
    assert.equal(isAlive(pid), false, 'no node process left');
    assert.equal(existsSync(rootDir), false, 'no temp dir left');
  });

  it("--target: reconfigures and restarts the user's node for every run, then puts it back and drops its tables", async () => {
    const node = await startNode({ LOGGING_LEVEL: 'debug' });
    const client = node.client();
    const firstPid = node.currentPid();
    try {
      const run = await runCli(
        [
          'bench',
          '--target',
          node.operationsUrl,
          '--user',
          node.credentials.user,
          '--set',
          'REPLICATION_RECORDCONCURRENCY=2,150',
          '--repeat',
          '1',
          '--frames',
          '40',
          '--records-per-frame',
          '1000',
          '--json',
        ],
        { env: { HARPER_PASSWORD: node.credentials.password } },
      );
      assert.equal(run.code, ExitCode.OK, run.stderr);
      const result = JSON.parse(run.stdout) as BenchJson & {
        target: string;
        restore: { ok: boolean; settings: Record<string, unknown>; restartMs: number };
        runs: Array<{ restartMs: number }>;
      };
      assert.equal(result.target, node.operationsUrl);
      assert.equal(result.runs.length, 2);
      for (const r of result.runs) {
        assert.equal(r.result.outcome, 'complete');
        assert.ok(r.restartMs > 0 && r.restartMs < 60_000, `restart took ${r.restartMs} ms`);
      }
      const [low, standard] = result.settings;
      assert.deepEqual(low!.applied, { REPLICATION_RECORDCONCURRENCY: true });
      assert.deepEqual(standard!.applied, { REPLICATION_RECORDCONCURRENCY: true });
      // The node's own pause lines prove the restarted process runs with the setting, not just its file (40 frames:
      // printed below, to keep the > 2 sized from evidence).
      console.log(`# --target pauses, median: rc=2 ${low!.median.targetPauses}`);
      assert.ok(low!.median.targetPauses! > 2, `the node paused with 2: ${low!.median.targetPauses}`);
      assert.equal(standard!.median.targetPauses, 0, 'and never with 150');
      assert.deepEqual(result.restore, {
        ok: true,
        settings: { REPLICATION_RECORDCONCURRENCY: null },
        restartMs: result.restore.restartMs,
      });
      assert.match(run.stderr, /restored .*REPLICATION_RECORDCONCURRENCY=\(its default\)/);
      const config = flattenConfiguration(await client.getConfiguration());
      assert.equal(config.REPLICATION_RECORDCONCURRENCY ?? null, null, 'the original (unset) value is back');
      const tables = Object.keys((await client.describeAll()).data ?? {});
      assert.deepEqual(
        tables.filter((t) => t.startsWith('harper_replay_synth')),
        [],
        'every table the bench made is dropped',
      );
      assert.equal(node.currentPid(), firstPid, 'worker threads were restarted, not the process');
    } finally {
      const restartedPid = node.currentPid();
      await node.stop();
      if (restartedPid) assert.equal(isAlive(restartedPid), false, 'stop() also ends a restarted node');
    }
  });
});
