import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RunEvent } from '../../../src/events/schema.js';
import { compareRuns } from '../../../src/report/comparison.js';
import { renderHtmlReport, writeHtmlReport } from '../../../src/report/html-report.js';
import { ResultBuilder } from '../../../src/report/result.js';
import { SeriesCollector } from '../../../src/report/series.js';
import { formatRunSummary } from '../../../src/report/text-summary.js';
import { at, completeRun, ev, fromHtml, MiB } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'harper-replay-html-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const uplot = dirname(createRequire(import.meta.url).resolve('uplot'));
const script = readFileSync(join(uplot, 'uPlot.iife.min.js'), 'utf8');
const style = readFileSync(join(uplot, 'uPlot.min.css'), 'utf8');

/** The result and the chart series of one event stream, as `--html` and `report --html` make them. */
function outputs(events: RunEvent[]) {
  const builder = new ResultBuilder();
  const series = new SeriesCollector(100);
  for (const event of events) {
    builder.sink(event);
    series.sink(event);
  }
  return { result: builder.build(), series: series.series() };
}

interface Embedded {
  series: unknown;
  episodes: Array<{ start: number; end: number; cause: string }>;
  deaths: Array<{ at: number; first: number | null; last: number | null }>;
  ackStalls: Array<{ start: number; end: number; open: boolean }>;
}

function embedded(html: string): Embedded {
  const json = /const DATA = (.*);\n\(function/.exec(html)?.[1];
  assert.ok(json, 'the page embeds its data');
  return JSON.parse(json) as Embedded;
}

const summaryOf = (html: string) => fromHtml(/<pre>([\s\S]*)<\/pre>/.exec(html)?.[1] ?? '');

/** Outside the inlined uPlot script and styles. */
const ownMarkup = (html: string) => html.replace(script, '').replace(style, '');

/**
 * A complete run with memory samples and two stalls: 1000–1600 ms with the target answering every probe (flow
 * control) and 2000–2400 ms with a probe left unanswered for 400 ms (blocked after 100 ms).
 */
const stalledRun = (): RunEvent[] => {
  const stall = (fromMs: number, toMs: number) => [
    ev.tcp(fromMs - 100, 1, { rx: 0, tx: 9000 }),
    ev.tcp(fromMs, 1, { rx: 5000, tx: 1000 }),
    ...Array.from({ length: (toMs - fromMs) / 100 - 1 }, (_, i) =>
      ev.tcp(fromMs + 100 * (i + 1), 1, { rx: 5000, tx: 1000 }),
    ),
    ev.tcp(toMs, 1, { rx: 0, tx: 0 }),
  ];
  return completeRun(
    [
      ev.proc(150, 100 * MiB),
      ev.proc(1250, 300 * MiB),
      ev.sysinfo(1300, 280 * MiB, [{ threadId: 3, heapUsed: 70 * MiB }]),
      ...stall(1000, 1600),
      ...[900, 1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900].map((ms) => ev.probe(ms, 5)),
      ...stall(2000, 2400),
      ev.probe(2000, 400),
    ],
    { meta: { blockedAfterMs: 100 } },
  );
};

describe('renderHtmlReport', () => {
  const { result, series } = outputs(stalledRun());
  const html = renderHtmlReport(result, series);

  it('embeds the chart series and the stall episodes in seconds since the target was ready', () => {
    const data = embedded(html);
    assert.deepEqual(data.series, JSON.parse(JSON.stringify(series)));
    // run-start (the time axis' origin) is at 100 ms.
    assert.deepEqual(data.episodes, [
      { start: 0.9, end: 1.5, cause: 'flow-control' },
      { start: 1.9, end: 2.3, cause: 'blocked' },
    ]);
  });

  it('embeds each worker death and its first and last re-subscription on the same time axis', () => {
    const events = completeRun([
      ev.streaming(300, 2, 'node-a/data'),
      at(1700, { type: 'connection', socketId: 1, event: 'closed', code: 1006, reason: '' }),
      at(2100, {
        type: 'resume',
        socketId: 2,
        startTime: 5,
        fromFrame: 3,
        attempt: 1,
        stream: 'node-a/data',
      }),
    ]);
    const { result: withDeath, series: itsSeries } = outputs(events);
    const data = embedded(renderHtmlReport(withDeath, itsSeries));
    // The origin is run-start at 100 ms: the drop at 1.6 s, the re-subscription at 2.0 s.
    assert.deepEqual(data.deaths, [{ at: 1.6, first: 2, last: 2 }]);
    assert.deepEqual(embedded(html).deaths, [], 'a run without drops marks none');
  });

  it('embeds each ack stall on the same time axis, and one never acked as open', () => {
    // completeRun: frame 3 sent at 2000 ms waits 500 ms for its ack; the origin is run-start at 100 ms.
    assert.deepEqual(embedded(html).ackStalls, [{ start: 1.9, end: 2.4, open: false }]);
    const unacked = completeRun().filter((e) => !(e.type === 'frame-committed' && e.index === 3));
    const { result: stuck, series: itsSeries } = outputs(unacked);
    // Never acked: the stall runs to run-end at 3000 ms.
    assert.deepEqual(embedded(renderHtmlReport(stuck, itsSeries)).ackStalls, [
      { start: 1.9, end: 2.9, open: true },
    ]);
  });

  it('titles the page with command and outcome, and has the three chart containers and the summary', () => {
    assert.ok(html.startsWith('<!doctype html>'));
    assert.ok(html.includes('<title>harper-replay synth — complete</title>'));
    assert.ok(html.includes('<h1>harper-replay synth — complete</h1>'));
    for (const id of ['memory', 'throughput', 'latency']) {
      assert.equal(html.split(`<div id="${id}" class="chart"></div>`).length - 1, 1, id);
    }
    assert.ok(!html.includes('id="members"'), 'no member charts without --fan-out');
    assert.equal(summaryOf(html), formatRunSummary(result), 'the text summary, escaped');
  });

  it('a scheduled run embeds its intended rate per stage, in records/s from when the schedule started', () => {
    const schedule = {
      unit: 'fps' as const,
      stages: [
        { durationMs: 2000, from: 0, to: 2 },
        { durationMs: 1000, from: 2, to: 2 },
      ],
    };
    const events = completeRun([], {
      meta: { workload: { frames: 4, recordsPerFrame: 10, recordSize: 100, blobSize: 0, seed: 7, schedule } },
    }).map((event) => (event.type === 'frame-sent' ? { ...event, stage: 0, lateMs: 0 } : event));
    const { result, series } = outputs(events);
    const data = embedded(renderHtmlReport(result, series)) as Embedded & {
      intended: { start: number; stages: Array<{ seconds: number; from: number; to: number }> };
    };
    // The first frame went out on time at 1000 ms after T0, the series' origin is the run-meta (T0).
    assert.equal(data.intended.start, (result.schedule!.startedAt! - series.origin) / 1000);
    assert.deepEqual(data.intended.stages, [
      { seconds: 2, from: 0, to: 20 },
      { seconds: 1, from: 20, to: 20 },
    ]);
    const plain = outputs(completeRun());
    const plainData = embedded(renderHtmlReport(plain.result, plain.series)) as unknown as {
      intended: unknown;
    };
    assert.equal(plainData.intended, null, 'an unscheduled run has none');
  });

  it('report --baseline: the comparison table under the summary (and none without a baseline)', () => {
    assert.ok(!html.includes('Compared with the baseline'));
    const comparison = compareRuns([result], [result], {
      runFiles: ['r.ndjson'],
      baselineFiles: ['b<1>.ndjson'],
    });
    const compared = renderHtmlReport({ ...result, comparison }, series);
    assert.ok(compared.includes('<h2>Compared with the baseline</h2>'));
    assert.ok(compared.includes('Compared with the baseline (b&lt;1&gt;.ndjson):'), 'escaped');
    assert.match(compared, /committedRecords +40 +40 +0 +0\.0 %/);
  });

  it('is self-contained: uPlot inlined; no link, external script or URL besides the summary text', () => {
    assert.ok(html.includes(`<script>${script}</script>`));
    assert.ok(html.includes(`<style>${style}`));
    const own = ownMarkup(html);
    // The summary names the target's operations URL as text; nothing else on the page is a URL.
    assert.doesNotMatch(own.replace(/<pre>[\s\S]*<\/pre>/, ''), /https?:\/\//);
    assert.doesNotMatch(own, /<link|<script[^>]+src=|<img|<iframe|@import|url\(|\b(src|href)=/);
    assert.equal(own.split('<script>').length - 1, 2, 'the uPlot script and the page script');
  });

  it('writeHtmlReport writes the page to the file', async () => {
    const path = join(dir, 'run.html');
    await writeHtmlReport(path, result, series, false);
    assert.equal(readFileSync(path, 'utf8'), html);
  });
});

describe('renderHtmlReport: escaping', () => {
  it('an error or warning with markup stays text in the summary', () => {
    const events = completeRun([ev.warning(2000, '</pre><script>alert("w")</script>')]).map((e) =>
      e.type === 'run-end'
        ? ev.end(3000, 'failed', 1, { error: `<img src=x onerror="alert('e')"> & more` })
        : e,
    );
    const { result, series } = outputs(events);
    const html = renderHtmlReport(result, series);
    const own = ownMarkup(html);
    assert.ok(!own.includes('<img'), 'no injected element');
    assert.equal(own.split('</script>').length - 1, 2, 'no script element closed or opened by the warning');
    assert.ok(html.includes('&lt;img src=x onerror=&quot;alert(&#39;e&#39;)&quot;&gt; &amp; more'));
    assert.equal(summaryOf(html), formatRunSummary(result));
    assert.match(summaryOf(html), /warning: <\/pre><script>alert\("w"\)<\/script>/);
  });

  it('--fan-out: member names reach the data and the heading as text, not markup', () => {
    const target = 'node-<a>&';
    const other = '</script><script>alert(1)</script>';
    const streams = [
      { stream: `${target}/data`, member: target, database: 'data' },
      { stream: `${other}/data`, member: other, database: 'data' },
    ];
    const events: RunEvent[] = [
      ev.meta(0, { fanOut: true }),
      at(100, {
        type: 'run-start',
        frames: 2,
        records: 20,
        target: { nodeName: target, operationsUrl: 'x', replicationUrl: 'y', embedded: false, local: false },
        streams,
        members: [
          { nodeName: target, sampled: true },
          { nodeName: other, sampled: false },
        ],
      }),
      ev.sysinfo(150, 100 * MiB, []),
      ev.streaming(200, 1, streams[0]!.stream, target),
      ev.streaming(210, 2, streams[1]!.stream, other),
      ev.sent(1000, 0, { socketId: 1, stream: streams[0]!.stream }),
      ev.sent(1010, 0, { socketId: 2, stream: streams[1]!.stream }),
      ev.committed(1200, 0, 100, 10, streams[0]!.stream),
      ev.committed(1300, 0, 200, 10, streams[1]!.stream),
      ev.end(2000),
    ];
    const { result, series } = outputs(events);
    const html = renderHtmlReport(result, series);
    const own = ownMarkup(html);
    assert.equal(own.split('</script>').length - 1, 2, 'the member name does not close the data script');
    assert.ok(html.includes('id="members"'));
    assert.ok(
      html.includes("the charts above are the target's, node-&lt;a&gt;&amp;)"),
      'the heading names the target, escaped',
    );
    const data = embedded(html) as {
      series: { members: Array<{ nodeName: string; committedRecords: number[] }> };
    };
    assert.deepEqual(
      data.series.members.map((m) => [m.nodeName, m.committedRecords]),
      [
        [target, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10]],
        [other, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10]],
      ],
    );
    assert.equal(summaryOf(html), formatRunSummary(result));
  });
});
