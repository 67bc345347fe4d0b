/**
 * bench --search on real harperdb 4.7.29 nodes: the largest single frame (records per frame) a worker survives
 * with a 200 MB heap and with a 1,200 MB heap, by bisection over fresh embedded nodes until 'oomEvents>0 ||
 * committedPct<100'. Measured on a busy 2-core machine: 70,000 records die of OOM in 200 MB; in 600 MB neither
 * 70,000 (90 s) nor 130,000 records (120 s, 794 MiB RSS) died or committed before the ack timeout, so OOM alone
 * leaves such a probe unjudged and 600 MB is too close to tell apart here. The test asserts the order of the two
 * boundaries, not their numbers, and that every probe is in --json and in the HTML. Kept short: one frame per
 * probe, a coarse resolution and no repeats, so each search is LOW, HIGH and one midpoint; HIGH is 90,000, not
 * 130,000 (past the 70,000 that kills 200 MB — 50,000, the midpoint, died too; 130,000 took 45 s to pass in
 * 1,200 MB, the slowest probe).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ExitCode } from '../../src/common/errors.js';
import type { BenchResult } from '../../src/run/bench-run.js';
import { openPage } from '../helpers/browser.js';
import { runCli } from '../helpers/harper.js';

let dir: string;
let bench: BenchResult & { exitCode: number };
let stdout: string;
let stderr: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'harper-replay-search-'));
  const run = await runCli(
    [
      'bench',
      '--search',
      'records-per-frame=10000..90000',
      '--until',
      'oomEvents>0 || committedPct<100',
      '--set',
      'THREADS_MAXHEAPMEMORY=200,1200',
      '--resolution',
      '50%',
      '--search-repeat',
      '1',
      '--frames',
      '1',
      '--html',
      join(dir, 'search.html'),
      '--json',
    ],
    { timeoutMs: 1_500_000 },
  );
  ({ stdout, stderr } = run);
  // Kept for a failure's post-mortem (the probes take minutes to repeat).
  writeFileSync(join(tmpdir(), 'harper-replay-search-last.json'), stdout);
  bench = JSON.parse(stdout);
  assert.equal(run.code, ExitCode.OK, stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('bench --search on harperdb 4.7.29', () => {
  it('a larger worker heap survives a larger frame: the boundaries are in order', () => {
    assert.equal(bench.until, 'oomEvents>0 || committedPct<100');
    const [small, large] = bench.search!;
    assert.deepEqual(
      [small!.setting, large!.setting],
      [{ THREADS_MAXHEAPMEMORY: '200' }, { THREADS_MAXHEAPMEMORY: '1200' }],
    );
    console.log(
      `# 200 MB: ${small!.largestPass}..${small!.smallestFail}; 1200 MB: ${large!.largestPass}..${large!.smallestFail}`,
    );
    for (const search of [small!, large!]) {
      assert.equal(search.confidence, 'sure', search.confidenceText);
      assert.equal(search.resolved, true);
      assert.equal(search.key, 'records-per-frame');
    }
    // 200 MB fails somewhere inside the range (a boundary is found) …
    assert.notEqual(small!.smallestFail, null, 'the 200 MB heap fails inside the range');
    assert.notEqual(small!.largestPass, null, 'and survives LOW');
    // The 200 MB worker dies of it: its failing probes are OOMs, not slow commits.
    for (const probe of small!.probes.filter((p) => p.outcome === 'fail'))
      assert.ok(probe.metrics.oomEvents > 0);
    // … and 1200 MB survives at least as much and fails only higher up (or never in the range).
    assert.ok(large!.largestPass! >= small!.largestPass!, 'the larger heap survives at least as much');
    assert.ok(
      large!.smallestFail === null || large!.smallestFail > small!.smallestFail!,
      'the larger heap fails only at a larger frame',
    );
    assert.ok(large!.largestPass! >= small!.smallestFail!, 'a frame that killed 200 MB passed in 1200 MB');
  });

  it('each probe is in --json: value, outcome, the --until value and the run behind it', () => {
    for (const search of bench.search!) {
      assert.deepEqual(
        search.probes.slice(0, 2).map((p) => [p.value, p.why]),
        [
          [10_000, 'low'],
          [90_000, 'high'],
        ],
      );
      for (const probe of search.probes) {
        const run = bench.runs[probe.run - 1]!;
        assert.equal(run.result.workload.recordsPerFrame, probe.value, 'the probe ran with its value');
        assert.equal(run.result.target.embedded, true);
        assert.equal(probe.until[0]!.value, run.result.workers.oomEvents);
        const committedAll =
          run.result.sent.frames > 0 && run.result.committed.frames === run.result.sent.frames;
        assert.equal(probe.until[1]!.holds, !committedAll);
        const failed = run.result.workers.oomEvents > 0 || !committedAll;
        if (probe.outcome === 'error') {
          // Measured once: 130,000 records in 1,200 MB hit the 120 s ack timeout and were committed after it
          // (exit 1, every frame committed, no OOM): a failed run --until does not name is retried, not counted.
          assert.ok(!failed && run.result.exitCode !== 0 && run.result.error, probe.reason);
          assert.ok(search.probes.filter((p) => p.value === probe.value).length >= 2, 'an error is retried');
        } else assert.equal(probe.outcome, failed ? 'fail' : 'pass', probe.reason);
        assert.equal(probe.metrics.oomEvents, run.result.workers.oomEvents);
        if (run.result.workers.oomEvents > 0)
          assert.match(run.result.workers.logErrors.first[0]!.line, /ERR_WORKER_OUT_OF_MEMORY/);
        if (probe.outcome === 'pass')
          assert.equal(run.result.verify.ok, true, 'a passing probe landed every record');
        assert.ok(probe.durationMs > 0);
      }
      // Every pass lies below every fail: the reported edges are probes of their own kind.
      const passes = search.probes.filter((p) => p.outcome === 'pass').map((p) => p.value);
      const fails = search.probes.filter((p) => p.outcome === 'fail').map((p) => p.value);
      assert.equal(Math.max(...passes), search.largestPass);
      assert.equal(fails.length ? Math.min(...fails) : null, search.smallestFail);
    }
    assert.equal(
      bench.runs.length,
      bench.search!.reduce((sum, s) => sum + s.probes.length, 0),
    );
  });

  it('a progress line per probe and one summary line per setting (stderr), an HTML chart per setting', async () => {
    const probeLines = stderr
      .split('\n')
      .filter((line) => /^\[probe \d+\] THREADS_MAXHEAPMEMORY=/.test(line));
    assert.equal(probeLines.length, bench.runs.length);
    assert.match(
      stderr,
      /search THREADS_MAXHEAPMEMORY=200: survives [\d,]+ records\/frame; fails at [\d,]+ records\/frame \(sure\)/,
    );
    const page = await openPage(pathToFileURL(join(dir, 'search.html')).href);
    assert.deepEqual(page.errors, [], 'the page logs no error');
    assert.equal(page.chartsDrawn, '2', 'one chart per setting');
  });
});
