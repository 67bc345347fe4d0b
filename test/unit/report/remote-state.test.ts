/** The target as Harper reports it: missing cluster_status fields are "not available", never zero. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterLink, RunEvent } from '../../../src/events/schema.js';
import { RemoteStateAnalysis } from '../../../src/report/remote-state.js';
import { remoteRows } from '../../../src/report/remote-text.js';

const start = (version: string, family: string): RunEvent =>
  ({
    type: 'run-start',
    t: 0,
    frames: 1,
    records: 1,
    target: {
      nodeName: 'n',
      operationsUrl: 'http://127.0.0.1:1',
      replicationUrl: 'ws://127.0.0.1:2',
      embedded: true,
      local: true,
      harper: { version, family, verification: 'v', verified: ['x'] },
    },
    streams: [],
  }) as unknown as RunEvent;
const sample = (t: number, links: ClusterLink[], ok = true): RunEvent =>
  ({
    type: 'sample',
    t,
    sample: { kind: 'cluster-status', requestedAt: t, latencyMs: 1, ok, links },
  }) as RunEvent;

describe('RemoteStateAnalysis', () => {
  it('4.7.29: fields never sent are null and listed, back-pressure max and Receiving share from what was sent', () => {
    const analysis = new RemoteStateAnalysis();
    analysis.sink(start('4.7.29', '4.7'));
    analysis.sink(
      sample(1, [{ node: 'b', database: 'data', backPressurePercent: 0, lastReceivedStatus: 'Waiting' }]),
    );
    analysis.sink(
      sample(2, [{ node: 'b', database: 'data', backPressurePercent: 40, lastReceivedStatus: 'Receiving' }]),
    );
    analysis.sink(sample(3, [], false));
    const summary = analysis.summary();
    assert.equal(summary.version, '4.7.29');
    const cluster = summary.clusterStatus!;
    assert.equal(cluster.samples, 3);
    assert.equal(cluster.failed, 1);
    assert.equal(cluster.backPressurePercentMax, 40);
    const [link] = cluster.links;
    assert.equal(link!.receivingShare, 0.5);
    assert.equal(link!.blobReplicationFailures, null, 'not available, not 0');
    assert.equal(link!.lastCommitConfirmed, null);
    for (const field of [
      'lastCommitConfirmed',
      'blobReplicationFailures',
      'lastConnectionError',
      'connected',
    ])
      assert.ok(cluster.notAvailable.includes(field), field);
    assert.ok(!cluster.notAvailable.includes('backPressurePercent'));
  });

  it('5.x omits blobReplicationFailures while 0: there an absent count reads 0, not "not available"', () => {
    const analysis = new RemoteStateAnalysis();
    analysis.sink(start('5.2.4', '5.x'));
    analysis.sink(sample(1, [{ node: 'b', database: 'data', connected: true }]));
    const cluster = analysis.summary().clusterStatus!;
    assert.equal(cluster.links[0]!.blobReplicationFailures, 0);
    assert.ok(!cluster.notAvailable.includes('blobReplicationFailures'));
  });

  it('closes by the target are grouped with their cause; ordinary closes are not listed; no samples: null', () => {
    const analysis = new RemoteStateAnalysis();
    const closed = (code: number, reason: string) =>
      ({ type: 'connection', t: 1, socketId: 1, event: 'closed', code, reason }) as RunEvent;
    analysis.sink(closed(1011, 'missing table structure; reconnecting to resync'));
    analysis.sink(closed(1011, 'missing table structure; reconnecting to resync'));
    analysis.sink(closed(1000, 'bye'));
    const summary = analysis.summary();
    assert.equal(summary.clusterStatus, null);
    assert.equal(summary.closes.length, 1);
    assert.equal(summary.closes[0]!.count, 2);
    assert.match(summary.closes[0]!.cause!, /no structure for/);
    const rows = remoteRows(summary);
    assert.deepEqual(rows[0], ['harper', 'version unknown (unknown)']);
    assert.match(rows[1]![1], /^2× 1011 missing table structure.* — the target got an entry/);
  });
});
