import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import {
  METRIC_PREFIX,
  PrometheusSink,
  parseRemoteWriteUrl,
  prometheusWarning,
} from '../../../src/report/prometheus-sink.js';
import { decodeWriteRequest, type TimeSeries } from '../../../src/report/remote-write.js';
import { completeRun, ev, MiB } from './support.js';

const snappy = createRequire(import.meta.url)('snappyjs') as { uncompress(input: Uint8Array): Uint8Array };

/** A remote-write receiver on a loopback port: decodes what it gets, answers `status`. */
async function receiver(status = 204, answer = true) {
  const received: Array<{ headers: IncomingMessage['headers']; series: TimeSeries[] }> = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        headers: request.headers,
        series: decodeWriteRequest(snappy.uncompress(Buffer.concat(chunks))),
      });
      if (answer) response.writeHead(status).end(status >= 400 ? 'out of order sample' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/v1/write`, received, server };
}

const servers: Server[] = [];
after(() => {
  for (const server of servers) server.closeAllConnections();
  for (const server of servers) server.close();
});

describe('PrometheusSink', () => {
  it('pushes every RSS sample and the folded state, labelled, with the spec headers', async () => {
    const target = await receiver();
    servers.push(target.server);
    const sink = new PrometheusSink(target.url, { intervalMs: 60_000 });
    const now = Date.now();
    for (const event of completeRun([ev.proc(1200, 300 * MiB), ev.proc(1220, 340 * MiB)]))
      sink.sink({ ...event, t: event.t - 1_700_000_000_000 + now - 5000 });
    const stats = await sink.close();
    assert.equal(stats.failedPushes, 0);
    assert.equal(stats.pushes, 1);
    const [request] = target.received;
    assert.equal(request!.headers['content-encoding'], 'snappy');
    assert.equal(request!.headers['x-prometheus-remote-write-version'], '0.1.0');
    const byName = (name: string) =>
      request!.series.filter((s) => s.labels.__name__ === `${METRIC_PREFIX}${name}`);
    const rss = byName('target_rss_bytes');
    assert.equal(rss.length, 1);
    assert.deepEqual(
      rss[0]!.samples.map((s) => s.value),
      [300 * MiB, 340 * MiB],
    );
    assert.deepEqual(rss[0]!.labels, {
      __name__: `${METRIC_PREFIX}target_rss_bytes`,
      run_id: 'harper-replay-test',
      command: 'synth',
      target: 'node-a',
    });
    const committed = byName('committed_records_total');
    assert.equal(committed[0]!.labels.stream, 'node-a/data');
    assert.equal(committed[0]!.samples.at(-1)!.value, 40);
    assert.equal(byName('ack_latency_seconds_max')[0]!.samples.at(-1)!.value, 0.5);
    assert.equal(
      stats.samplesSent,
      request!.series.reduce((n, s) => n + s.samples.length, 0),
    );
  });

  it('a refusing or absent Prometheus is counted and warned about once, never thrown', async () => {
    const refusing = await receiver(400);
    servers.push(refusing.server);
    const warnings: string[] = [];
    const sink = new PrometheusSink(refusing.url, { intervalMs: 60_000, warn: (m) => warnings.push(m) });
    for (const event of completeRun([ev.proc(1200, 300 * MiB)])) sink.sink(event);
    const stats = await sink.close();
    assert.equal(stats.failedPushes, 1);
    assert.ok(stats.samplesDropped > 0);
    assert.match(stats.lastError!, /HTTP 400 out of order sample/);
    assert.equal(warnings.length, 1);
    assert.match(prometheusWarning(stats), /1 of 1 pushes .* failed/);

    const closed = refusing.url.replace(/:\d+\//, ':1/');
    const down = new PrometheusSink(closed, { intervalMs: 60_000 });
    for (const event of completeRun([ev.proc(1200, 300 * MiB)])) down.sink(event);
    assert.equal((await down.close()).failedPushes, 1);
  });

  it('a Prometheus that never answers costs at most the timeout', async () => {
    const silent = await receiver(204, false);
    servers.push(silent.server);
    const sink = new PrometheusSink(silent.url, { intervalMs: 60_000, timeoutMs: 300 });
    for (const event of completeRun([ev.proc(1200, 300 * MiB)])) sink.sink(event);
    const started = Date.now();
    const stats = await sink.close();
    assert.equal(stats.failedPushes, 1);
    assert.match(stats.lastError!, /timeout|aborted/i);
    assert.ok(Date.now() - started < 5000);
  });

  it('a bounded queue: samples over the bound are dropped and counted', async () => {
    const sink = new PrometheusSink('http://127.0.0.1:1/api/v1/write', {
      intervalMs: 60_000,
      maxQueuedSamples: 3,
    });
    for (const event of completeRun([1, 2, 3, 4, 5].map((i) => ev.proc(1200 + i, i * MiB)))) sink.sink(event);
    const stats = await sink.close();
    assert.ok(stats.samplesDropped >= 5);
  });

  it('credentials in the URL become a header, never part of the URL kept', () => {
    const parsed = parseRemoteWriteUrl('https://me:s3cret@prom.example:9090/api/v1/write');
    assert.equal(parsed.url, 'https://prom.example:9090/api/v1/write');
    assert.equal(parsed.authorization, `Basic ${Buffer.from('me:s3cret').toString('base64')}`);
    assert.throws(() => parseRemoteWriteUrl('me:s3cret@nowhere'), /is not a URL|is not http/);
    assert.throws(() => parseRemoteWriteUrl('ftp://x/'), /ftp: is not http\(s\)/);
  });
});
