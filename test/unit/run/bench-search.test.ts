/** bench --search's driver: probes round-robin over the combinations, each judged by --until, and the exit code. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../../src/common/errors.js';
import type { BenchRun } from '../../../src/report/bench-analysis.js';
import type { RunResult } from '../../../src/report/result.js';
import {
  probeWorkload,
  runSearches,
  type SearchOptions,
  searchExitCode,
} from '../../../src/run/bench-search.js';
import { searchPlan } from '../../helpers/search-fixtures.js';
import { completeRun, ev, fold } from '../report/support.js';

const search: SearchOptions = {
  range: { key: 'records-per-frame', low: 10_000, high: 300_000 },
  plan: searchPlan({ resolution: 29_000, repeat: 1 }),
  until: 'oomEvents>0',
};

const workload = { preset: 'x', frames: 1, recordsPerFrame: 500, recordSize: 256, blobSize: 0, seed: 1 };

/** A run folded from real events: an OOM line in the log when `oom`. */
function runResult(oom: boolean, exitCode?: number): RunResult {
  const result = fold(completeRun(oom ? [ev.log(1800, 'oom', 'ERR_WORKER_OUT_OF_MEMORY')] : []));
  return exitCode === undefined ? result : { ...result, exitCode, error: 'connect ECONNREFUSED 127.0.0.1:1' };
}

describe('probeWorkload', () => {
  it("sets the searched field; records/s follow the probe's records per frame", () => {
    const frames = probeWorkload({ ...search, pace: { perSecond: 10_000, unit: 'rps' } }, workload, 20, 2000);
    assert.equal(frames.workload.recordsPerFrame, 2000);
    assert.equal(frames.rate, 5);
    assert.equal(probeWorkload(search, workload, 20, 2000).rate, 20, "bench's own rate when none is given");
    const blob = probeWorkload(
      { ...search, range: { key: 'blob-size', low: 1, high: 9 } },
      workload,
      undefined,
      4096,
    );
    assert.deepEqual(
      [blob.workload.blobSize, blob.workload.recordsPerFrame, blob.rate],
      [4096, 500, undefined],
    );
    const size = probeWorkload(
      { ...search, range: { key: 'record-size', low: 1, high: 9 } },
      workload,
      undefined,
      64,
    );
    assert.equal(size.workload.recordSize, 64);
    const rate = probeWorkload(
      { ...search, range: { key: 'rate', low: 1, high: 9, unit: 'rps' } },
      workload,
      3,
      1000,
    );
    assert.equal(rate.rate, 2, '1,000 records/s in frames of 500');
  });
});

describe('runSearches', () => {
  it('one search per combination, probes interleaved, each with its verdict, the boundary per setting', async () => {
    const calls: Array<[number, number, number]> = [];
    const limits = [100_000, 200_000];
    const log: string[] = [];
    const searches = await runSearches(
      {
        combinations: [{ set: { THREADS_MAXHEAPMEMORY: '300' } }, { set: { THREADS_MAXHEAPMEMORY: '600' } }],
        search,
        log: (line) => log.push(line),
        runProbe: async (run, combination, value) => {
          calls.push([run, combination, value]);
          const result = runResult(value > limits[combination]!);
          return { combination, repetition: run, applied: {}, result } satisfies BenchRun;
        },
      },
      new AbortController().signal,
    );
    assert.deepEqual(
      calls.slice(0, 4).map(([run, combination, value]) => [run, combination, value]),
      [
        [0, 0, 10_000],
        [1, 1, 10_000],
        [2, 0, 300_000],
        [3, 1, 300_000],
      ],
    );
    assert.equal(searches.length, 2);
    for (const [i, found] of searches.entries()) {
      assert.ok(found.largestPass! <= limits[i]! && found.smallestFail! > limits[i]!, JSON.stringify(found));
      assert.equal(found.confidence, 'sure');
      for (const probe of found.probes) {
        assert.equal(probe.outcome, probe.value > limits[i]! ? 'fail' : 'pass');
        assert.equal(probe.metrics.oomEvents, probe.value > limits[i]! ? 1 : 0);
        assert.equal(probe.until[0]!.expression, 'oomEvents>0');
        assert.ok(probe.durationMs >= 0 && probe.run >= 1);
      }
    }
    assert.ok(searches[0]!.smallestFail! < searches[1]!.smallestFail!);
    assert.ok(
      log.some((line) =>
        /^\[probe 1\] THREADS_MAXHEAPMEMORY=300: records-per-frame=10,000 records\/frame \(low;/.test(line),
      ),
    );
    assert.ok(
      log.some((line) => /^search THREADS_MAXHEAPMEMORY=600: survives .*; fails at .* \(sure\)$/.test(line)),
    );
    assert.equal(searchExitCode(searches), ExitCode.OK);
  });

  it('a target never reached: the probe is an error, retried, then the search is incomplete with its exit code', async () => {
    const searches = await runSearches(
      {
        combinations: [{ set: {} }],
        search,
        log: () => {},
        runProbe: async (run, combination) => ({
          combination,
          repetition: run,
          applied: {},
          result: runResult(false, ExitCode.UNREACHABLE),
        }),
      },
      new AbortController().signal,
    );
    const [found] = searches;
    assert.deepEqual(
      found!.probes.map((p) => [p.value, p.outcome, p.exitCode]),
      [
        [10_000, 'error', 4],
        [10_000, 'error', 4],
      ],
    );
    assert.equal(found!.confidence, 'incomplete');
    assert.equal(searchExitCode(searches), ExitCode.UNREACHABLE);
  });

  it('stopped mid-search (Ctrl-C): what the probes so far say, marked incomplete', async () => {
    const controller = new AbortController();
    const searches = await runSearches(
      {
        combinations: [{ set: {} }],
        search,
        log: () => {},
        runProbe: async (run, combination, value) => {
          if (run === 1) controller.abort();
          return { combination, repetition: run, applied: {}, result: runResult(value > 50_000) };
        },
      },
      controller.signal,
    );
    assert.equal(searches[0]!.probes.length, 1);
    assert.equal(searches[0]!.largestPass, 10_000);
    assert.equal(searches[0]!.confidenceText, 'incomplete: interrupted');
  });
});
