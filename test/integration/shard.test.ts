/**
 * One workload over N tool processes (issue 20): three `synth --shard i/3` processes started together with the same
 * flags and a common --start-at land exactly the records one process lands (count and ids read back through the
 * operations API); only shard 0 samples the target; a shard whose --start-at passes before it is subscribed exits
 * 8 (ready too late), sends nothing and removes its registration. `replay --shard i/n` likewise: the capture's
 * frames striped over 3 processes land the ids one replay lands and their samples merge to its totals; without
 * --start-at too (each shard's tails from its own clock); `synth --shard i/2 --template` counts each shard's id
 * block and lands the whole run's ids. One embedded node for the file; each shard's --samples
 * file stays in the file's temp dir (report --merge reads them).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../../src/common/errors.js';
import type { EmbeddedNode } from '../../src/harper/embedded-node.js';
import { shardBlock, stripeCount } from '../../src/workload/shard.js';
import { type CliRun, hdbNodeNames, runCli, startNode } from '../helpers/harper.js';

const FRAMES = 30;
const RECORDS_PER_FRAME = 200;
const SHARDS = 3;
/**
 * How far ahead every --start-at is: all of this file's runs start at once (14 CLI processes), and each shard must be
 * subscribed by then. At a load of 12, with 20 s, shards subscribed 5.5 s late (exit 8); a template shard once took
 * over 10 s to create its table.
 */
const START_LEAD_MS = 40_000;

let target: EmbeddedNode;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'harper-replay-shard-'));
  target = await startNode();
});

after(async () => {
  await target?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const credentials = () => ({
  HARPER_USER: target.credentials.user,
  HARPER_PASSWORD: target.credentials.password,
});

const synth = (table: string, ...extra: string[]) => [
  'synth',
  '--target',
  target.operationsUrl,
  '--frames',
  String(FRAMES),
  '--records-per-frame',
  String(RECORDS_PER_FRAME),
  '--record-size',
  '128',
  '--table',
  table,
  '--json',
  ...extra,
];

async function ids(table: string): Promise<number[]> {
  const rows = await target.client().sql<{ id: number }>(`SELECT id FROM data.${table} ORDER BY id`, 60_000);
  return rows.map((row) => Number(row.id));
}

interface Event {
  type: string;
  t: number;
  meta?: { sharding?: { index: number; samplesTarget: boolean } };
  sample?: { kind: string };
}

const shardFiles = (prefix: string) =>
  Array.from({ length: SHARDS }, (_, index) => join(dir, `${prefix}-${index}.ndjson`));

const events = (path: string): Event[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Event);

/**
 * SHARDS `synth --shard i/3` processes into one table with a common --start-at START_LEAD_MS ahead (one instant: a
 * relative +Ns would be read by each process at its own start), each writing its samples to <runId>-<i>.ndjson.
 */
async function runShards(
  table: string,
  runId: string,
  extra: string[] = [],
  onStart?: (index: number, child: ChildProcess, startAt: number) => void,
): Promise<{ startAt: number; runs: CliRun[] }> {
  const startAt = Date.now() + START_LEAD_MS;
  const runs = await Promise.all(
    Array.from({ length: SHARDS }, (_, index) =>
      runCli(
        synth(
          table,
          '--shard',
          `${index}/${SHARDS}`,
          '--run-id',
          runId,
          '--start-at',
          String(startAt),
          '--samples',
          join(dir, `${runId}-${index}.ndjson`),
          ...extra,
        ),
        { env: credentials(), onStart: onStart && ((child) => onStart(index, child, startAt)) },
      ),
    ),
  );
  return { startAt, runs };
}

// The describes and their tests run at once: most of each is the wait for a common --start-at, into tables (and run
// ids) of their own on the shared node, and none measures timing the others could skew.
describe('shards', { concurrency: true }, () => {
  describe('synth --shard i/3 with a common --start-at', { concurrency: true }, () => {
    it('three shards land exactly what one process lands; only shard 0 samples the target', async () => {
      // The one-process run goes while the shards wait for their start: different tables, nothing timed.
      const [single, { startAt, runs }] = await Promise.all([
        runCli(synth('shard_single'), { env: credentials() }),
        runShards('shard_split', 'itest'),
      ]);
      assert.equal(single.code, ExitCode.OK, single.stderr);
      for (const [index, run] of runs.entries()) {
        assert.equal(run.code, ExitCode.OK, `shard ${index}: ${run.stderr}`);
        const result = JSON.parse(run.stdout);
        const { start, end } = shardBlock({ index, count: SHARDS }, FRAMES);
        assert.deepEqual(result.sharding, {
          runId: 'itest',
          index,
          count: SHARDS,
          startAt,
          samplesTarget: index === 0,
        });
        assert.equal(result.committed.frames, end - start, `shard ${index} commits its block`);
        assert.match(result.workload.toolNodeName, new RegExp(`-ritest-s${index}$`));
        assert.equal(result.cleanup.removedFromTarget, true);
        assert.match(run.stderr, /waiting for start at /);

        const written = events(join(dir, `itest-${index}.ndjson`));
        const sent = written.filter((e) => e.type === 'frame-sent');
        assert.equal(sent.length, end - start);
        assert.ok(
          sent.every((e) => e.t >= startAt),
          `shard ${index} sent ${startAt - Math.min(...sent.map((e) => e.t))} ms before --start-at`,
        );
        const memory = written.filter((e) => e.type === 'sample' && e.sample?.kind === 'sysinfo');
        if (index === 0) assert.ok(memory.length > 0, 'shard 0 samples the target');
        else assert.equal(memory.length, 0, `shard ${index} leaves the target to shard 0`);
      }

      const expected = Array.from({ length: FRAMES * RECORDS_PER_FRAME }, (_, i) => i + 1);
      assert.deepEqual(await ids('shard_single'), expected, 'one process lands ids 1 … N');
      assert.deepEqual(await ids('shard_split'), expected, 'three shards land the same ids, each once');
      const names = await hdbNodeNames(target.client());
      assert.equal(
        names.filter((name) => /-ritest-s\d+$/.test(name)).length,
        0,
        'every shard removed itself',
      );

      // The three samples files merged are the one run: counts summed, every shard finished.
      const merged = await runCli(['report', '--merge', ...shardFiles('itest'), '--json']);
      assert.equal(merged.code, ExitCode.OK, merged.stderr);
      const result = JSON.parse(merged.stdout);
      assert.equal(result.merge.complete, true);
      assert.deepEqual(
        result.merge.shards.map((shard: { index: number; finished: boolean }) => [
          shard.index,
          shard.finished,
        ]),
        [
          [0, true],
          [1, true],
          [2, true],
        ],
      );
      assert.equal(result.committed.frames, FRAMES);
      assert.equal(result.committed.records, FRAMES * RECORDS_PER_FRAME);
      assert.equal(
        result.sent.records,
        JSON.parse(single.stdout).sent.records,
        'the merge sent what one process sent',
      );

      const report = await runCli(['report', join(dir, 'itest-1.ndjson')]);
      assert.equal(report.code, ExitCode.OK, report.stderr);
      assert.match(report.stdout, /shard\s+1\/3 of run itest, started at /);
      assert.match(report.stdout, /target memory\s+sampled by shard 0/);
    });

    it("kill -9 of one shard: the merge is incomplete (exit 9) and names the dead shard's registration", async () => {
      // 4 frames/s: shard 1's block (frames 10–19) is due 2.5–5 s after the start; it dies in the middle.
      const { runs } = await runShards('shard_killed', 'killed', ['--rate', '4'], (index, child, startAt) => {
        if (index !== 1) return;
        const poll = setInterval(() => {
          if (Date.now() < startAt + 3500) return;
          clearInterval(poll);
          child.kill('SIGKILL');
        }, 100);
        child.once('close', () => clearInterval(poll));
      });
      assert.equal(runs[1]!.signal, 'SIGKILL');
      for (const index of [0, 2]) assert.equal(runs[index]!.code, ExitCode.OK, runs[index]!.stderr);
      const deadName = readFileSync(join(dir, 'killed-1.ndjson'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { type: string; meta?: { toolNodeName: string } })
        .find((event) => event.type === 'run-meta')?.meta?.toolNodeName;
      assert.ok(deadName, 'the killed shard wrote its run-meta');
      assert.ok(
        (await hdbNodeNames(target.client())).includes(deadName),
        'its registration is still on the target',
      );

      const merged = await runCli(['report', '--merge', ...shardFiles('killed'), '--json']);
      assert.equal(merged.code, ExitCode.SHARDS_INCOMPLETE, merged.stderr);
      const result = JSON.parse(merged.stdout);
      assert.equal(result.merge.complete, false);
      assert.deepEqual(
        result.merge.unfinished.map((shard: { index: number; toolNodeName: string }) => [
          shard.index,
          shard.toolNodeName,
        ]),
        [[1, deadName]],
      );
      assert.ok(merged.stderr.includes(deadName), 'the dead shard is named on stderr');
    });

    it('a shard ready after its --start-at exits 8, sends nothing and removes its registration', async () => {
      const samples = join(dir, 'late.ndjson');
      // +0s is now: no shard can subscribe before it.
      const run = await runCli(
        synth('shard_late', '--shard', '1/3', '--run-id', 'late', '--start-at', '+0s', '--samples', samples),
        { env: credentials() },
      );
      assert.equal(run.code, ExitCode.READY_TOO_LATE, run.stderr);
      assert.match(
        run.stderr,
        /^Error: ready too late for --start-at \S+ \(subscribed \d+ ms after it\): sent nothing$/m,
      );
      const result = JSON.parse(run.stdout);
      assert.equal(result.error.kind, 'ready-too-late');
      assert.equal(result.sent.frames, 0);
      assert.equal(result.cleanup.removedFromTarget, true);
      assert.ok(result.thresholds.every((t: { ok: boolean | null }) => t.ok === null));
      assert.equal(events(samples).filter((e) => e.type === 'frame-sent').length, 0);
      assert.deepEqual(await ids('shard_late'), [], 'nothing landed');
      const names = await hdbNodeNames(target.client());
      assert.equal(names.filter((name) => /-rlate-s1$/.test(name)).length, 0, 'its registration is gone');
    });
  });

  describe('replay --shard i/n: the capture striped over n processes', { concurrency: true }, () => {
    const capture = fileURLToPath(new URL('../../../captures/catchup-40x500.hrcap', import.meta.url));
    const CAPTURED_FRAMES = 42;
    const replay = (database: string, ...extra: string[]) =>
      runCli(
        [
          'replay',
          capture,
          '--target',
          target.operationsUrl,
          '--speed',
          'max',
          '--database',
          database,
          '--json',
          ...extra,
        ],
        { env: credentials() },
      );
    const rows = async (database: string) =>
      (await target.client().sql<{ id: number }>(`SELECT id FROM ${database}.dog ORDER BY id`, 60_000)).map(
        (r) => Number(r.id),
      );
    let single: { landed: number[]; sent: number };

    before(async () => {
      const run = await replay('rep_single');
      assert.equal(run.code, ExitCode.OK, run.stderr);
      single = { landed: await rows('rep_single'), sent: JSON.parse(run.stdout).sent.records };
      // 40 × 500 inserts, an upsert of one of them, a delete of two.
      assert.equal(single.landed.length, 19_998);
    });

    it('three shards with a common --start-at land exactly what one replay lands; their samples merge to it', async () => {
      const startAt = Date.now() + START_LEAD_MS;
      const runs = await Promise.all(
        Array.from({ length: SHARDS }, (_, index) =>
          replay(
            'rep_split',
            '--shard',
            `${index}/${SHARDS}`,
            '--run-id',
            'rep',
            '--start-at',
            String(startAt),
            '--samples',
            join(dir, `replay-${index}.ndjson`),
          ),
        ),
      );
      for (const [index, run] of runs.entries()) {
        assert.equal(run.code, ExitCode.OK, `shard ${index}: ${run.stderr}`);
        const stripe = stripeCount({ index, count: SHARDS }, CAPTURED_FRAMES);
        assert.equal(
          JSON.parse(run.stdout).committed.frames,
          stripe,
          `shard ${index}: frames ${index}, ${index + 3}, …`,
        );
        // Sent, not only counted committed (a stream skips frames at or below the target's start for it).
        const sent = events(join(dir, `replay-${index}.ndjson`)).filter((e) => e.type === 'frame-sent');
        assert.equal(sent.length, stripe);
        assert.ok(sent.every((e) => e.t >= startAt));
      }
      assert.deepEqual(await rows('rep_split'), single.landed);

      const merged = await runCli(['report', '--merge', ...shardFiles('replay'), '--json']);
      assert.equal(merged.code, ExitCode.OK, merged.stderr);
      const result = JSON.parse(merged.stdout);
      assert.equal(result.merge.complete, true);
      assert.equal(result.committed.frames, CAPTURED_FRAMES);
      assert.equal(result.committed.records, 20_003);
      assert.equal(result.sent.records, single.sent, 'the merge sent what one replay sent');
    });

    it('without --start-at too: tails from each process\'s clock, after the "now − 60 s" 4.7.29 starts a new peer at', async () => {
      // Before: tails from the run id's instant (early 2025) were all below that start, so nothing was sent.
      const runs = await Promise.all(
        [0, 1].map((index) => replay('rep_runid', '--shard', `${index}/2`, '--run-id', 'rep2')),
      );
      for (const [index, run] of runs.entries()) {
        assert.equal(run.code, ExitCode.OK, `shard ${index}: ${run.stderr}`);
        const result = JSON.parse(run.stdout);
        assert.equal(result.committed.frames, 21);
        assert.equal(result.sent.frames, 21, `shard ${index} sent its stripe`);
      }
      assert.deepEqual(await rows('rep_runid'), single.landed);
    });
  });

  describe('synth --shard i/2 --template: the shaped run split by frame blocks', () => {
    it('each shard verifies its id block; together the ids one process lands', async () => {
      const shaped = (table: string, ...extra: string[]) => [
        'synth',
        '--target',
        target.operationsUrl,
        '--frames',
        String(FRAMES),
        '--records-per-frame',
        String(RECORDS_PER_FRAME),
        '--table',
        table,
        '--template',
        'templates/products.yaml',
        '--seed',
        '5',
        '--json',
        ...extra,
      ];
      const startAt = Date.now() + START_LEAD_MS;
      const runs = await Promise.all(
        [0, 1].map((index) =>
          runCli(
            shaped(
              'shaped_split',
              '--shard',
              `${index}/2`,
              '--run-id',
              'shaped',
              '--start-at',
              String(startAt),
            ),
            { env: credentials() },
          ),
        ),
      );
      for (const [index, run] of runs.entries()) {
        assert.equal(run.code, ExitCode.OK, `shard ${index}: ${run.stderr}`);
        const { start, end } = shardBlock({ index, count: 2 }, FRAMES);
        const result = JSON.parse(run.stdout);
        assert.equal(result.verify.ok, true);
        assert.equal(
          result.verify.expectedRecords,
          (end - start) * RECORDS_PER_FRAME,
          `shard ${index}'s block`,
        );
        assert.equal(result.verify.targetRecords, (end - start) * RECORDS_PER_FRAME);
      }
      assert.deepEqual(
        await ids('shaped_split'),
        Array.from({ length: FRAMES * RECORDS_PER_FRAME }, (_, i) => i + 1),
      );
    });
  });
});
