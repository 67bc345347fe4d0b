/** The HTML report's replication-links section: the embedded per-link series, the chart container and the table. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterLink, RunEvent } from '../../../src/events/schema.js';
import { clusterSection } from '../../../src/report/html-cluster.js';
import { renderHtmlReport } from '../../../src/report/html-report.js';
import { ResultBuilder } from '../../../src/report/result.js';
import { SeriesCollector } from '../../../src/report/series.js';
import { at, completeRun, T0 } from './support.js';

function outputs(events: RunEvent[]) {
  const builder = new ResultBuilder();
  const series = new SeriesCollector(100);
  for (const event of events) {
    builder.sink(event);
    series.sink(event);
  }
  return { result: builder.build(), series: series.series() };
}

const embedded = (html: string) => {
  const json = /const DATA = (.*);\n\(function/.exec(html)?.[1];
  assert.ok(json, 'the page embeds its data');
  return JSON.parse(json) as {
    series: {
      clusterLinks: Array<{
        link: string;
        points: Array<{ t: number; backPressurePercent: number | null; versionAgeMs: number | null }>;
      }>;
    };
  };
};

/** A cluster_status answer requested at T0 + ms (the sample event 5 ms later). */
const clusterSample = (ms: number, links: ClusterLink[], ok = true): RunEvent =>
  at(ms + 5, {
    type: 'sample',
    sample: { kind: 'cluster-status', requestedAt: T0 + ms, latencyMs: 5, ok, links },
  });

const harper = { version: '4.7.29', family: '4.7', verification: 'verified live', verified: [] };
/** As 4.7.29 answers: no blobReplicationFailures, lastBlobFailure, lastLiveness or lastConnectionError. */
const link474 = (backPressurePercent: number, versionAtMs: number, status = 'Receiving'): ClusterLink => ({
  node: 'node-b',
  database: 'data',
  connected: true,
  backPressurePercent,
  lastReceivedStatus: status,
  lastReceivedVersion: T0 + versionAtMs,
  lastReceivedRemoteTime: '2023-11-14T22:13:21.000Z',
});

const cells = (html: string) =>
  [...(/<tbody>(.*?)<\/tbody>/s.exec(html)?.[1] ?? '').matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]);

describe('HTML report: replication links (cluster_status)', () => {
  const events = completeRun(
    [
      clusterSample(1000, [link474(0, 900, 'Waiting')]),
      clusterSample(2000, [link474(45, 1500)]),
      clusterSample(2500, [], false),
    ],
    { target: { harper } },
  );
  const { result, series } = outputs(events);
  const html = renderHtmlReport(result, series);

  it("embeds each link's back-pressure and last-received-version age per answer, on the report's time axis", () => {
    // The origin is run-start at 100 ms; each answer's age is its request time minus lastReceivedVersion.
    assert.deepEqual(embedded(html).series.clusterLinks, [
      {
        link: 'node-b/data',
        points: [
          { t: 905, backPressurePercent: 0, versionAgeMs: 100 },
          { t: 1905, backPressurePercent: 45, versionAgeMs: 500 },
        ],
      },
    ]);
  });

  it('has the chart container and a table of the last state; fields 4.7.29 lacks read n/a, never 0', () => {
    assert.match(html, /<h2>Replication links \(cluster_status: 3 samples, 1 failed, 1 links\)<\/h2>/);
    assert.equal(html.split('<div id="cluster" class="chart"></div>').length - 1, 1);
    assert.deepEqual(cells(html), [
      'node-b/data',
      '2',
      'yes',
      '45',
      'Receiving',
      '50 %',
      'n/a',
      String(T0 + 1500),
      '2023-11-14T22:13:21.000Z',
      'n/a',
      'n/a',
    ]);
    assert.match(html, /<td class="na" title="not reported by this version">n\/a<\/td>/);
    assert.match(html, /Not reported by 4\.7\.29: [^<]*blobReplicationFailures/);
    assert.ok(html.includes('charts.cluster = new uPlot('), 'the page script draws it');
  });

  it('a 5.x link without failures reads 0 blob failures (5.x omits the count while it is 0)', () => {
    const five = { version: '5.0.16', family: '5.x', verification: 'built from source only', verified: [] };
    const run = completeRun([clusterSample(1000, [{ ...link474(10, 900), lastLiveness: 'x' }])], {
      target: { harper: five },
    });
    const { result: r, series: s } = outputs(run);
    assert.equal(cells(clusterSection(r.remote, s))[9], '0');
  });

  it('link names are text, not markup', () => {
    const run = completeRun([clusterSample(1000, [{ ...link474(1, 900), node: '<img src=x>' }])]);
    const { result: r, series: s } = outputs(run);
    const page = renderHtmlReport(r, s);
    assert.ok(page.includes('<td>&lt;img src=x&gt;/data</td>'));
    assert.ok(!page.includes('<img src=x>/data</td>'));
  });

  it('a run without cluster_status samples has no such section; samples without links, no chart', () => {
    const plain = outputs(completeRun());
    assert.equal(clusterSection(plain.result.remote, plain.series), '');
    assert.ok(!renderHtmlReport(plain.result, plain.series).includes('Replication links'));
    const empty = outputs(completeRun([clusterSample(1000, [])]));
    const section = clusterSection(empty.result.remote, empty.series);
    assert.match(section, /No replication link in any answer/);
    assert.ok(!section.includes('id="cluster"'));
  });
});
