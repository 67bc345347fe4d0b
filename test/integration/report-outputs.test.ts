/**
 * What a run leaves behind: thresholds and their exit code, --json / --samples / --html written whatever the
 * outcome, `report` rebuilding the same numbers, the HTML drawn by a real Chromium, and a target that dies mid-run.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ExitCode } from '../../src/common/errors.js';
import { externalMemoryDrawn, openPage } from '../helpers/browser.js';
import { isAlive, killEmbeddedTargetWhenStreaming, runCli } from '../helpers/harper.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'harper-replay-test-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const outputs = (name: string) => ({
  samples: join(dir, `${name}.ndjson`),
  html: join(dir, `${name}.html`),
});

describe('run outputs', () => {
  it('catchup-40x500 passes its thresholds (exit 0)', async () => {
    const run = await runCli([
      'synth',
      '--preset',
      'catchup-40x500',
      '--threshold',
      'peakRss<1.5GiB',
      '--threshold',
      'oomEvents==0',
      '--json',
    ]);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.deepEqual(
      result.thresholds.map((t: { expression: string; ok: boolean }) => [t.expression, t.ok]),
      [
        ['peakRss<1.5GiB', true],
        ['oomEvents==0', true],
      ],
    );
    assert.ok(result.memory.peakRss > 100 * 2 ** 20, 'a real peak RSS was measured');
  });

  it('an impossible threshold exits 99 and still writes --json, --samples and --html; report rebuilds the same numbers; Chromium draws the page', async () => {
    const files = outputs('breach');
    const run = await runCli([
      'synth',
      '--preset',
      'catchup-40x500',
      '--threshold',
      'peakRss<1MiB',
      '--threshold',
      'oomEvents==0',
      '--samples',
      files.samples,
      '--html',
      files.html,
      '--json',
    ]);
    assert.equal(run.code, ExitCode.THRESHOLD_BREACHED, run.stderr);
    assert.match(run.stderr, /threshold breached: peakRss<1MiB/);
    const result = JSON.parse(run.stdout);
    assert.equal(result.outcome, 'complete');
    assert.equal(result.exitCode, ExitCode.THRESHOLD_BREACHED);
    assert.deepEqual(
      result.thresholds.map((t: { ok: boolean }) => t.ok),
      [false, true],
    );
    for (const key of [
      'count',
      'totalMs',
      'longestMs',
      'flowControlMs',
      'blockedMs',
      'targetLogged',
      'episodes',
    ]) {
      assert.ok(key in result.pauses, `pauses.${key}`);
    }
    for (const key of ['baselineRss', 'peakRss', 'peakAtMs', 'sampler'])
      assert.ok(key in result.memory, `memory.${key}`);
    for (const key of ['deaths', 'oomEvents', 'reconnects', 'logErrors'])
      assert.ok(key in result.workers, `workers.${key}`);
    assert.equal(result.memory.sampler, 'proc');
    assert.ok(existsSync(files.samples) && existsSync(files.html));

    const rebuilt = await runCli(['report', files.samples, '--json']);
    assert.equal(rebuilt.code, ExitCode.THRESHOLD_BREACHED, rebuilt.stderr);
    assert.deepEqual(JSON.parse(rebuilt.stdout), result, 'report reproduces the run result exactly');
    const text = await runCli(['report', files.samples]);
    assert.match(text.stdout, /✗ peakRss<1MiB/);
    assert.match(text.stdout, /20,000 of 20,000 records on the target — OK/);

    const page = await openPage(pathToFileURL(files.html).href, join(dir, 'breach.png'));
    assert.deepEqual(page.errors, [], 'the page logs no error');
    // External memory (system_information's per-worker externalMemory) is drawn: a line per sampled worker, in
    // the legend, reaching at least the peak the result reports (the chart goes on past the result's window, which
    // ends before verification).
    assert.ok(result.memory.external.peakThread > 0, 'the run sampled external memory');
    const external = externalMemoryDrawn(page);
    assert.ok(external.series.length >= 1, `external series: ${JSON.stringify(page.charts.memory)}`);
    for (const line of external.series) {
      assert.ok(line.show && line.inLegend && line.points > 0, JSON.stringify(line));
    }
    assert.ok(
      (external.peakBytes ?? 0) >= result.memory.external.peakThread - 1024,
      `drawn peak ${external.peakBytes} vs result ${result.memory.external.peakThread}`,
    );
    assert.equal(page.ackStallsMarked, String(result.acks.episodes.length), 'each ack stall marked');
    // 4.7.29 lists the tool's link in cluster_status: each link's back-pressure is charted, one point per answer,
    // and the fields 4.7.29 lacks read n/a in the links table.
    const cluster = result.remote.clusterStatus;
    assert.ok(cluster?.links.length >= 1, `cluster_status links: ${JSON.stringify(cluster)}`);
    const linkLines = (page.charts.cluster ?? []).filter((line) => line.label.endsWith('back-pressure %'));
    assert.equal(linkLines.length, cluster.links.length, JSON.stringify(page.charts.cluster));
    for (const line of linkLines)
      assert.ok(line.show && line.inLegend && line.points > 0, JSON.stringify(line));
    assert.ok(cluster.notAvailable.includes('blobReplicationFailures'), '4.7.29 has no blob failure count');
    assert.match(readFileSync(files.html, 'utf8'), /title="not reported by this version">n\/a</);
    assert.equal(page.canvases, 4, 'four charts: memory, throughput, ack latency, replication links');
    assert.equal(page.chartsDrawn, '4');
    for (const inked of page.inkedPixels)
      assert.ok(inked > 2000, `every chart has ink (${page.inkedPixels.join(', ')})`);
    assert.match(readFileSync(files.html, 'utf8'), /harper-replay synth — complete/);
  });

  it('a target killed mid-run: clear error within 15 s, exit 1, every output written', async () => {
    const files = outputs('killed');
    const killer = killEmbeddedTargetWhenStreaming(2000);
    const run = await runCli(
      [
        'synth',
        '--frames',
        '400',
        '--records-per-frame',
        '1000',
        '--rate',
        '20',
        '--samples',
        files.samples,
        '--html',
        files.html,
        '--json',
      ],
      {
        onStart: killer.onStart,
      },
    );
    const took = Date.now() - killer.killedAt();
    assert.ok(killer.killedAt() > 0, run.stderr);
    assert.ok(took < 15_000, `ended ${took} ms after the kill`);
    assert.equal(run.code, ExitCode.ERROR, run.stderr);
    assert.match(
      run.stderr,
      /Error: the target process \(pid \d+\) exited mid-run; \d+ of 400 frames committed/,
    );
    const result = JSON.parse(run.stdout);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.workers.targetExited, true);
    assert.ok(result.sent.frames > 0 && result.sent.frames < 400);
    assert.ok(result.memory.peakRss > 0, 'what was measured until then is kept');
    assert.equal(isAlive(result.target.pid), false);
    const rebuilt = await runCli(['report', files.samples, '--json']);
    assert.equal(JSON.parse(rebuilt.stdout).sent.frames, result.sent.frames);
    assert.ok(readFileSync(files.html, 'utf8').includes('harper-replay synth — failed'));
  });
});
