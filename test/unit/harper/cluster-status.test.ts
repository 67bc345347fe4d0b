/** cluster_status answers reduced to links: whitelisted fields only (never the peer's authorization). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseClusterStatus } from '../../../src/harper/cluster-status.js';

/** The shape of a live harperdb 4.7.29 answer (two linked nodes, taken by hand; the credential replaced). */
export const ANSWER_4_7_29 = {
  type: 'cluster-status',
  connections: [
    {
      url: 'ws://127.0.0.1:43437',
      replicates: true,
      subscriptions: null,
      authorization: 'Basic c2VjcmV0LXVzZXI6c2VjcmV0LXBhc3M=',
      name: 'node-b',
      database_sockets: [
        {
          database: 'data',
          connected: true,
          latency: 63.67,
          threadId: 1,
          nodes: ['node-b'],
          lastReceivedRemoteTime: 'Fri, 04 Dec 2026 15:52:52 GMT',
          lastReceivedLocalTime: 'Fri, 04 Dec 2026 15:52:52 GMT',
          lastReceivedVersion: 1796399572077.7131,
          backPressurePercent: 0,
          lastReceivedStatus: 'Waiting',
        },
      ],
    },
  ],
  node_name: 'node-a',
  is_enabled: true,
};

describe('parseClusterStatus', () => {
  it('keeps the link fields a 4.7.29 node sends, and nothing of the credential', () => {
    const links = parseClusterStatus(ANSWER_4_7_29);
    assert.deepEqual(links, [
      {
        node: 'node-b',
        database: 'data',
        connected: true,
        backPressurePercent: 0,
        lastReceivedStatus: 'Waiting',
        lastReceivedVersion: 1796399572077.7131,
        lastReceivedRemoteTime: 'Fri, 04 Dec 2026 15:52:52 GMT',
        lastReceivedLocalTime: 'Fri, 04 Dec 2026 15:52:52 GMT',
      },
    ]);
    assert.doesNotMatch(JSON.stringify(links), /Basic|c2VjcmV0/);
  });

  it('5.x fields (clusterStatus.ts:55-82) are kept when present; wrong types and junk are dropped', () => {
    const [link] = parseClusterStatus({
      connections: [
        {
          name: 'n',
          database_sockets: [
            {
              database: 'd',
              lastCommitConfirmed: 'Fri, 04 Dec 2026 15:52:52 GMT',
              blobReplicationFailures: 3,
              lastConnectionError: { code: 1011, time: 'x', secret: 'y' },
              backPressurePercent: 'high',
              lastLiveness: 5,
            },
            { noDatabase: true },
          ],
        },
        'junk',
      ],
    });
    assert.deepEqual(link, {
      node: 'n',
      database: 'd',
      lastCommitConfirmed: 'Fri, 04 Dec 2026 15:52:52 GMT',
      blobReplicationFailures: 3,
      lastConnectionError: { code: 1011, time: 'x' },
    });
    assert.deepEqual(parseClusterStatus(null), []);
    assert.deepEqual(parseClusterStatus({ connections: 'x' }), []);
  });
});
