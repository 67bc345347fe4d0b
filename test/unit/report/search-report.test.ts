import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  describeSearch,
  formatSearches,
  type SearchProbeRecord,
  type SettingSearch,
  writeSearchHtml,
} from '../../../src/report/search-report.js';
import { benchMetrics, DEFAULT_RECORDS_PLAN } from '../../helpers/search-fixtures.js';

const probeAt = (value: number, outcome: SearchProbeRecord['outcome']): SearchProbeRecord => ({
  value,
  outcome,
  why: 'bisect',
  exitCode: 0,
  reason: '',
  until: [],
  durationMs: 1,
  run: 1,
  metrics: { ...benchMetrics(), oomEvents: 0 },
});

const search = (overrides: Partial<SettingSearch> = {}): SettingSearch => ({
  setting: { REPLICATION_RECORDCONCURRENCY: '2' },
  key: 'records-per-frame',
  low: DEFAULT_RECORDS_PLAN.low,
  high: DEFAULT_RECORDS_PLAN.high,
  resolution: DEFAULT_RECORDS_PLAN.resolution,
  largestPass: 140_000,
  smallestFail: 150_000,
  confidence: 'sure',
  confidenceText: 'sure',
  resolved: true,
  probes: [],
  ...overrides,
});

describe('describeSearch', () => {
  it('one line per setting: what it survives, where it fails, how sure', () => {
    assert.equal(
      describeSearch(search()),
      'REPLICATION_RECORDCONCURRENCY=2: survives 140,000 records/frame; fails at 150,000 records/frame (sure)',
    );
    assert.equal(
      describeSearch(search({ setting: {}, largestPass: null, smallestFail: 10_000 })),
      '(node defaults): fails already at 10,000 records/frame (LOW) (sure)',
    );
    assert.equal(
      describeSearch(
        search({
          smallestFail: null,
          largestPass: 300_000,
          confidenceText: 'noisy: 1 of 4 repeats disagreed',
        }),
      ),
      'REPLICATION_RECORDCONCURRENCY=2: survives 300,000 records/frame, the whole range (noisy: 1 of 4 repeats disagreed)',
    );
    assert.equal(
      describeSearch(search({ key: 'rate', unit: 'rps', largestPass: 5000, smallestFail: 6000 })),
      'REPLICATION_RECORDCONCURRENCY=2: survives 5,000 records/s; fails at 6,000 records/s (sure)',
    );
    assert.equal(
      describeSearch(
        search({ smallestFail: null, confidence: 'incomplete', confidenceText: 'incomplete: y' }),
      ),
      'REPLICATION_RECORDCONCURRENCY=2: survives 140,000 records/frame; no failure found (incomplete: y)',
    );
    assert.match(
      describeSearch(search({ largestPass: null, smallestFail: null, confidenceText: 'incomplete: x' })),
      /no boundary found \(incomplete: x\)$/,
    );
  });

  it('the summary counts probes and those never judged', () => {
    const text = formatSearches(
      [search({ probes: [probeAt(1, 'pass'), probeAt(2, 'error')] })],
      'oomEvents>0',
      65_000,
    );
    assert.equal(
      text,
      [
        'capacity search until oomEvents>0:',
        '  REPLICATION_RECORDCONCURRENCY=2: survives 140,000 records/frame; fails at 150,000 records/frame (sure)',
        "2 probes (1 never judged: see each probe's reason) in 65.00 s",
      ].join('\n'),
    );
  });
});

describe('writeSearchHtml', () => {
  it('embeds every probe of every search and the summary, and refuses to overwrite without force', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'search-html-')), 'search.html');
    await writeSearchHtml(
      path,
      [search({ probes: [probeAt(10_000, 'pass'), probeAt(300_000, 'fail')] })],
      'summary <text>',
      false,
    );
    const html = readFileSync(path, 'utf8');
    assert.match(html, /summary &lt;text&gt;/);
    assert.match(html, /"x":10000,"y":1,"n":1,"outcome":"pass"/);
    assert.match(html, /"x":300000,"y":0,"n":2,"outcome":"fail"/);
    await assert.rejects(writeSearchHtml(path, [], '', false), /search\.html/);
    assert.equal(readFileSync(path, 'utf8'), html, 'the first page is kept');
  });
});
