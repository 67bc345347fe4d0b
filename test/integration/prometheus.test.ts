/**
 * --prometheus-rw against a real Prometheus (Debian's package, started here with its remote-write receiver) and a
 * real embedded harperdb 4.7.29: the run's series arrive, the RSS series' max over the run's load window is the
 * result's peakRss, and a Prometheus killed mid-run leaves the run's exit code and outcome as they were, the
 * failed pushes counted and warned about.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCode } from '../../src/common/errors.js';
import type { RunEvent } from '../../src/events/schema.js';
import type { RunResult } from '../../src/report/result.js';
import { runCli } from '../helpers/harper.js';
import { type RunningPrometheus, startPrometheus } from '../helpers/prometheus.js';

let dir: string;
let prometheus: RunningPrometheus | undefined;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'harper-replay-prom-'));
});
after(async () => {
  await prometheus?.kill();
  rmSync(dir, { recursive: true, force: true });
});

const synth = (samples: string, url: string) => [
  'synth',
  '--frames',
  '40',
  '--records-per-frame',
  '1000',
  '--samples',
  samples,
  '--threshold',
  'oomEvents==0',
  '--json',
  '--prometheus-rw',
  url,
];

describe('--prometheus-rw into a real Prometheus', () => {
  it("receives the run's series; the max of the RSS series over the load window is the result's peakRss", async () => {
    prometheus = await startPrometheus();
    const samples = join(dir, 'run.ndjson');
    const run = await runCli(synth(samples, prometheus.writeUrl));
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout) as RunResult;
    assert.equal(result.prometheus!.failedPushes, 0);
    assert.ok(result.prometheus!.samplesSent > 0);
    const runId = result.workload.toolNodeName;
    assert.equal(result.prometheus!.runId, runId);
    const events = readFileSync(samples, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as RunEvent);
    // The result's memory window: from the first event to the phase that ends the load (verification reads rows).
    const first = events[0]!.t;
    const closed = events.find(
      (e) => e.type === 'phase' && (e.phase === 'verifying' || e.phase === 'cleaning-up'),
    )!.t;
    const window = closed - 1 - first + 1000;
    const [peak] = await prometheus.query(
      `max_over_time(harper_replay_target_rss_bytes{run_id="${runId}"}[${window}ms])`,
      closed - 1,
    );
    assert.equal(peak!.metric.command, 'synth');
    assert.equal(peak!.metric.target, result.target.nodeName);
    assert.equal(peak!.value, result.memory.peakRss);
    const [committed] = await prometheus.query(`harper_replay_committed_records_total{run_id="${runId}"}`);
    assert.equal(committed!.value, result.committed.records);
    assert.equal(committed!.metric.stream, result.streams[0]!.stream);
    const names = await prometheus.query(`count by (__name__) ({run_id="${runId}"})`);
    for (const name of [
      'target_heap_used_bytes',
      'target_external_bytes',
      'stalled',
      'stalled_seconds_total',
      'sent_records_per_second',
      'ack_latency_seconds_p99',
      'worker_deaths_total',
      'reconnects_total',
    ])
      assert.ok(
        names.some((n) => n.metric.__name__ === `harper_replay_${name}`),
        name,
      );
  });

  it('Prometheus killed mid-run: the same exit code and outcome, the failed pushes counted and warned about', async () => {
    await prometheus?.kill();
    prometheus = undefined;
    const running = await startPrometheus();
    let killed = false;
    let poll: NodeJS.Timeout | undefined;
    const run = await runCli(synth(join(dir, 'killed.ndjson'), running.writeUrl), {
      onStart: () => {
        poll = setInterval(async () => {
          const series = await running.query('count(harper_replay_sent_records_total)').catch(() => []);
          // A series of this run is in: the pushes work, now they stop working.
          if (series.length && !killed) {
            killed = true;
            clearInterval(poll);
            await running.kill();
          }
        }, 500);
      },
    });
    clearInterval(poll);
    if (!killed) await running.kill();
    assert.ok(killed, 'Prometheus was killed during the run');
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout) as RunResult;
    assert.equal(result.outcome, 'complete');
    assert.equal(result.thresholds[0]!.ok, true);
    assert.ok(result.prometheus!.pushes > 0);
    assert.ok(result.prometheus!.failedPushes > 0);
    assert.ok(result.prometheus!.samplesDropped > 0);
    assert.match(
      result.warnings.join('\n'),
      /Prometheus remote write: \d+ of \d+ pushes to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write failed/,
    );
    assert.match(run.stderr, /warning: Prometheus remote write to .* failed .*the run goes on/);
  });
});
