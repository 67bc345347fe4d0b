import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import {
  decodeWriteRequest,
  encodeWriteRequest,
  REMOTE_WRITE_HEADERS,
  remoteWriteBody,
} from '../../../src/report/remote-write.js';

const snappy = createRequire(import.meta.url)('snappyjs') as { uncompress(input: Uint8Array): Uint8Array };

describe('remote write encoding', () => {
  const series = [
    {
      labels: { run_id: 'r1', __name__: 'harper_replay_target_rss_bytes', command: 'synth', stream: '' },
      samples: [
        { value: 345_000_000, timestamp: 1_700_000_000_123 },
        { value: 2.5, timestamp: 1_700_000_000_200 },
      ],
    },
  ];

  it('round-trips through protobuf with labels sorted by name and empty ones left out', () => {
    const decoded = decodeWriteRequest(encodeWriteRequest(series));
    assert.equal(decoded.length, 1);
    assert.deepEqual(Object.keys(decoded[0]!.labels), ['__name__', 'command', 'run_id']);
    assert.deepEqual(decoded[0]!.samples, series[0]!.samples);
  });

  it('the body is the snappy block of the protobuf', () => {
    const body = remoteWriteBody(series);
    assert.deepEqual(Buffer.from(snappy.uncompress(body)), Buffer.from(encodeWriteRequest(series)));
    assert.equal(REMOTE_WRITE_HEADERS['Content-Encoding'], 'snappy');
    assert.equal(REMOTE_WRITE_HEADERS['X-Prometheus-Remote-Write-Version'], '0.1.0');
  });

  it('refuses a bad metric name', () => {
    assert.throws(
      () => encodeWriteRequest([{ labels: { __name__: 'a-b' }, samples: [] }]),
      /bad metric name/,
    );
  });
});
