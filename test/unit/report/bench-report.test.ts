import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { BenchMetrics, BenchSetting, MetricName } from '../../../src/report/bench-analysis.js';
import { formatBenchTable, writeBenchHtml } from '../../../src/report/bench-report.js';
import { benchMetrics as spread } from '../../helpers/search-fixtures.js';
import { fromHtml, MiB } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'harper-replay-bench-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const one: BenchSetting = {
  set: { THREADS_COUNT: '1', REPLICATION_RECORDCONCURRENCY: '2' },
  applied: { THREADS_COUNT: true, REPLICATION_RECORDCONCURRENCY: true },
  // Two repetitions already have a range.
  runs: 2,
  median: {
    peakRss: 500 * MiB,
    rssGrowth: 300 * MiB,
    pausesCount: 2,
    pausedMs: 600,
    targetPauses: null,
    recordsPerSec: 1000,
    ackP99Ms: 150,
    workerDeaths: 0,
  },
  min: {
    peakRss: 480 * MiB,
    rssGrowth: 290 * MiB,
    pausesCount: 1,
    pausedMs: 550,
    targetPauses: null,
    recordsPerSec: 950,
    ackP99Ms: 140,
    workerDeaths: 0,
  },
  max: {
    peakRss: 520 * MiB,
    rssGrowth: 310 * MiB,
    pausesCount: 3,
    pausedMs: 700,
    targetPauses: null,
    recordsPerSec: 1100,
    ackP99Ms: 170,
    workerDeaths: 0,
  },
  spread: spread({
    peakRss: 0.08,
    rssGrowth: 0.06,
    pausesCount: 1,
    pausedMs: 0.3,
    recordsPerSec: 0.16,
    ackP99Ms: 0.2,
  }),
  best: ['peakRss', 'ackP99Ms'],
};

const twoMetrics: BenchMetrics = {
  peakRss: 700 * MiB,
  rssGrowth: 500 * MiB,
  pausesCount: 0,
  pausedMs: 0,
  targetPauses: null,
  recordsPerSec: 1800,
  ackP99Ms: 250,
  workerDeaths: 1,
};
const two: BenchSetting = {
  set: { THREADS_COUNT: '2', REPLICATION_RECORDCONCURRENCY: '2' },
  applied: { THREADS_COUNT: true, REPLICATION_RECORDCONCURRENCY: false },
  runs: 1,
  median: twoMetrics,
  min: twoMetrics,
  max: twoMetrics,
  spread: spread({ peakRss: 0, rssGrowth: 0, recordsPerSec: 0, ackP99Ms: 0, workerDeaths: 0 }),
  best: ['pausesCount', 'pausedMs', 'recordsPerSec'],
};

/** The cells of each table line, cut where the separator line's dash groups start. */
function cells(table: string): string[][] {
  const lines = table.split('\n');
  const separator = lines[1]!;
  const starts = [...separator.matchAll(/-+/g)].map((m) => m.index);
  return lines
    .slice(0, 4)
    .map((line) => starts.map((start, i) => line.slice(start, starts[i + 1]).trimEnd()));
}

describe('formatBenchTable', () => {
  const table = formatBenchTable([one, two], 90_000, false);

  it('one column per compared metric, aligned under the header', () => {
    const [header, separator, ...rows] = cells(table);
    assert.deepEqual(header, [
      'setting',
      'applied',
      'peak RSS',
      'growth',
      'pauses',
      'paused',
      'node pauses',
      'records/s',
      'ack p99',
      'deaths',
    ]);
    assert.ok(separator!.every((c) => /^-+$/.test(c)));
    assert.deepEqual(rows, [
      [
        'THREADS_COUNT=1 REPLICATION_RECORDCONCURRENCY=2',
        'yes',
        '*500.0 MiB (480.0 MiB–520.0 MiB)',
        '300.0 MiB (290.0 MiB–310.0 MiB)',
        '2 (1–3)',
        '600 ms (550 ms–700 ms)',
        '–',
        '1,000 (950–1,100)',
        '*150 ms (140 ms–170 ms)',
        '0 (0–0)',
      ],
      [
        'THREADS_COUNT=2 REPLICATION_RECORDCONCURRENCY=2',
        'yes, NO (REPLICATION_RECORDCONCURRENCY)',
        '700.0 MiB',
        '500.0 MiB',
        '*0',
        '*0.00 ms',
        '–',
        '*1,800',
        '250 ms',
        '1',
      ],
    ]);
  });

  it('every column is as wide as its widest cell, two spaces apart', () => {
    const lines = table.split('\n').slice(0, 4);
    const separator = lines[1]!;
    const widths = separator.split('  ').map((dashes) => dashes.length);
    const rows = cells(table);
    widths.forEach((width, i) => {
      assert.equal(
        width,
        Math.max(...rows.filter((_, r) => r !== 1).map((row) => row[i]!.length)),
        `column ${i}`,
      );
    });
  });

  it('legend, noise per column, the settings the target did not take, wall time', () => {
    const tail = table.split('\n').slice(4);
    assert.deepEqual(tail, [
      '',
      'medians over the repetitions, (min–max); * = best of the column',
      'noise (largest (max−min)/median / 2 of any setting): peak RSS ±4 %, growth ±3 %, pauses ±50 %, paused ±15 %, records/s ±8 %, ack p99 ±10 %, deaths ±0 %',
      "warning: REPLICATION_RECORDCONCURRENCY not applied by the target (unknown key or ignored): the THREADS_COUNT=2 REPLICATION_RECORDCONCURRENCY=2 runs ran with the node's default",
      'total wall time 90.00 s',
    ]);
  });

  it('an interrupted bench says its results are partial', () => {
    assert.equal(
      formatBenchTable([one], 1500, true).split('\n').at(-1),
      'total wall time 1.50 s — INTERRUPTED: partial results',
    );
  });

  it('no noise line when no setting has a spread, no warning when every key was applied', () => {
    const quiet: BenchSetting = { ...two, applied: { THREADS_COUNT: true }, spread: spread({}) };
    const text = formatBenchTable([quiet], 10, false);
    assert.doesNotMatch(text, /noise/);
    assert.doesNotMatch(text, /warning/);
    assert.equal(cells(text)[2]![1], 'yes');
  });

  it('a setting no key of which was applied says NO for each', () => {
    const none: BenchSetting = { ...two, applied: { A: false, B: false } };
    assert.equal(cells(formatBenchTable([none], 10, false))[2]![1], 'NO (A), NO (B)');
  });
});

describe('writeBenchHtml', () => {
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot'));
  const script = readFileSync(join(uplot, 'uPlot.iife.min.js'), 'utf8');
  const style = readFileSync(join(uplot, 'uPlot.min.css'), 'utf8');
  const tricky: BenchSetting = { ...two, set: { MODE: '<fast>&"x"' }, applied: { MODE: true } };

  it('writes one self-contained page: the data per metric, the table, uPlot inlined, nothing from the network', async () => {
    const path = join(dir, 'bench.html');
    const table = formatBenchTable([one, tricky], 90_000, false);
    await writeBenchHtml(path, [one, tricky], table, false);
    const html = readFileSync(path, 'utf8');

    assert.ok(html.startsWith('<!doctype html>'));
    assert.ok(html.includes(`<script>${script}</script>`), 'uPlot script inlined');
    assert.ok(html.includes(style), 'uPlot styles inlined');
    const rest = html.replace(script, '').replace(style, '');
    assert.doesNotMatch(rest, /https?:\/\//, 'no URL outside the inlined library');
    assert.doesNotMatch(rest, /<link|<script[^>]+src=|<img|@import/);

    const json = /const D = (.*);\nconst xs/.exec(html)?.[1];
    assert.ok(json, 'the embedded data');
    const data = JSON.parse(json) as {
      labels: string[];
      columns: Array<{ name: string; label: string; median: unknown[]; min: unknown[]; max: unknown[] }>;
    };
    assert.deepEqual(data.labels, ['THREADS_COUNT=1 REPLICATION_RECORDCONCURRENCY=2', 'MODE=<fast>&"x"']);
    assert.deepEqual(
      data.columns.map((c) => [c.name, c.label]),
      [
        ['peakRss', 'peak RSS'],
        ['rssGrowth', 'growth'],
        ['pausesCount', 'pauses'],
        ['pausedMs', 'paused'],
        ['targetPauses', 'node pauses'],
        ['recordsPerSec', 'records/s'],
        ['ackP99Ms', 'ack p99'],
        ['workerDeaths', 'deaths'],
      ],
    );
    for (const column of data.columns) {
      const name = column.name as MetricName;
      assert.deepEqual(column.median, [one.median[name], tricky.median[name]], name);
      assert.deepEqual(column.min, [one.min[name], tricky.min[name]], name);
      assert.deepEqual(column.max, [one.max[name], tricky.max[name]], name);
    }

    const pre = /<pre>([\s\S]*)<\/pre>/.exec(html)?.[1];
    assert.equal(fromHtml(pre!), table, 'the comparison table, escaped');
    assert.ok(
      html.includes('2 = <code>MODE=&lt;fast&gt;&amp;&quot;x&quot;</code>'),
      'setting labels are escaped',
    );
    assert.ok(!rest.includes('<fast>'), 'the raw label never reaches the markup');
  });
});
