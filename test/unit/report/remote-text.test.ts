/** The summary rows of the target's own report: version line, links, what this version does not report. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { remoteRows } from '../../../src/report/remote-text.js';

describe('remoteRows', () => {
  it('names the version and what was verified, one row per link, and the fields not available', () => {
    const rows = remoteRows({
      version: '4.7.29',
      verification: 'verified live',
      verified: ['wire frames'],
      closes: [],
      clusterStatus: {
        samples: 10,
        failed: 0,
        notAvailable: ['lastCommitConfirmed', 'blobReplicationFailures'],
        backPressurePercentMax: 12,
        links: [
          {
            link: 'b/data',
            samples: 10,
            connected: true,
            backPressurePercentMax: 12,
            lastReceivedStatus: 'Waiting',
            receivingShare: 0.3,
            lastCommitConfirmed: null,
            lastReceivedVersion: 1,
            lastReceivedRemoteTime: null,
            blobReplicationFailures: null,
            lastConnectionError: null,
          },
        ],
      },
    });
    assert.deepEqual(rows, [
      ['harper', '4.7.29 (verified live: wire frames)'],
      ['cluster_status', '10 samples, 1 links'],
      ['', 'b/data: connected, back-pressure max 12 %, Receiving in 30 % of samples'],
      ['', 'not available on this version: lastCommitConfirmed, blobReplicationFailures'],
    ]);
    assert.deepEqual(remoteRows(undefined), []);
  });
});
