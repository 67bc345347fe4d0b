/** Version knowledge: families, receive settings per version, close-reason causes, the 5.x log lines. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  familyOf,
  readHarperVersion,
  receiveSetting,
  settingAvailabilityNote,
  versionKnowledge,
} from '../../../src/harper/harper-versions.js';
import { classifyLogLine } from '../../../src/harper/log-scan.js';

describe('Harper version knowledge', () => {
  it('families: 4.7 verified live, 5.x from source only, anything else unknown', () => {
    assert.equal(familyOf('4.7.29'), '4.7');
    assert.equal(familyOf('5.0.16'), '5.x');
    assert.equal(familyOf('v5.2.4'), '5.x');
    assert.equal(familyOf('4.6.3'), 'unknown');
    assert.equal(familyOf(null), 'unknown');
    assert.equal(versionKnowledge('4.7.29').verification, 'verified live');
    assert.equal(versionKnowledge('5.0.16').verification, 'built from source only');
    assert.deepEqual(versionKnowledge(undefined), {
      version: null,
      family: 'unknown',
      verification: 'unknown',
      verified: [],
    });
  });

  it('receive settings by env or dotted name, with the versions that have them', () => {
    assert.equal(receiveSetting('REPLICATION_RECEIVEEVENTHIGHWATERMARK')?.key, 'receiveEventHighWaterMark');
    assert.equal(receiveSetting('replication.blobTimeout')?.defaults['4.7'], '120000 ms');
    assert.equal(receiveSetting('REPLICATION_NOSUCHKEY'), undefined);
    const on47 = versionKnowledge('4.7.29');
    assert.equal(
      settingAvailabilityNote('REPLICATION_RECEIVEEVENTHIGHWATERMARK', on47),
      'replication.receiveEventHighWaterMark exists only in Harper Pro 5.x (default 100); the target runs 4.7.29',
    );
    assert.equal(settingAvailabilityNote('REPLICATION_RECORDCONCURRENCY', on47), undefined, '4.7 has it');
    assert.equal(
      settingAvailabilityNote('REPLICATION_RECEIVEEVENTHIGHWATERMARK', versionKnowledge('5.1.0')),
      undefined,
    );
    assert.equal(settingAvailabilityNote('REPLICATION_NOSUCHKEY', on47), undefined);
  });

  it('readHarperVersion: registration_info version, null on anything else', async () => {
    assert.equal(await readHarperVersion({ call: async <T>() => ({ version: '4.7.29' }) as T }), '4.7.29');
    assert.equal(await readHarperVersion({ call: async <T>() => ({}) as T }), null);
    assert.equal(
      await readHarperVersion({
        call: async () => {
          throw new Error('unknown operation');
        },
      }),
      null,
    );
  });
});

describe('Harper 5.x log lines (replicationConnection.ts, read from the source)', () => {
  it('queue-budget pause, receive watchdog, blob save failed', () => {
    assert.equal(
      classifyLogLine(
        '[warn] [replication/1]: Pausing replication receive: inbound frame queue over its budget {"queuedBytes":1}',
      ),
      'pause',
    );
    assert.equal(
      classifyLogLine(
        '[warn] [replication/1]: Receive watchdog: no consumer progress from node-a/data for 1800000ms while paused for back-pressure — terminating connection and reconnecting — {}',
      ),
      'watchdog-reconnect',
    );
    assert.equal(
      classifyLogLine('[error] [replication/1]: Blob save failed for 12ab from node-a Error: ENOENT'),
      'blob-save-failed',
    );
    assert.equal(classifyLogLine('[warn] [replication/1]: Receive watchdog: armed'), undefined);
  });
});
