/** The state one load run's phases share: names, databases, the user's abort, the socket map, the counts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsBus } from '../../../src/events/metrics-bus.js';
import { LoadContext } from '../../../src/run/load-context.js';
import type { LoadRunOptions, LoadWorkload } from '../../../src/run/load-options.js';
import { AckTracker } from '../../../src/session/ack-tracker.js';
import { runIdentity } from '../../../src/session/peer-pki.js';
import type { ReplicationSocket } from '../../../src/session/replication-socket.js';
import type { FrameSource } from '../../../src/workload/synthetic.js';

const load: LoadWorkload = {
  describe: {
    command: 'synth',
    table: 't',
    workload: { frames: 3, recordsPerFrame: 2, recordSize: 10, blobSize: 0, seed: 1 },
  },
  source: () => source,
  prepare: async () => {},
};

const source: FrameSource = {
  frameCount: 3,
  totalRecords: 6,
  preamble: () => [],
  build: () => {
    throw new Error('unused');
  },
  sequenceId: (index) => index + 1,
  recordsIn: () => 2,
};

function options(overrides: Partial<LoadRunOptions> = {}): LoadRunOptions {
  return {
    target: {},
    via: 'push',
    listenHost: '127.0.0.1',
    listenPort: 0,
    database: 'data',
    maxReconnects: 0,
    ackTimeoutMs: 1,
    subscribeTimeoutMs: 1,
    verify: false,
    highWaterMark: 1,
    signal: new AbortController().signal,
    ...overrides,
  };
}

describe('LoadContext', () => {
  it('names the tool afresh (recognisably: prefix, host, pid), or after the CN of the listener certificate the user gave', () => {
    const a = new LoadContext(options(), load);
    const b = new LoadContext(options(), load);
    assert.match(a.toolNodeName, new RegExp(`^harper-replay-[a-z0-9-]+-${process.pid}-[0-9a-f]{6}$`));
    assert.notEqual(a.toolNodeName, b.toolNodeName);
    const identity = runIdentity('replayer.example', ['127.0.0.1']);
    const named = new LoadContext(options({ listenTls: { cert: identity.cert, key: identity.key } }), load);
    assert.equal(named.toolNodeName, 'replayer.example');
  });

  it('loads --database alone, or every database of --databases', () => {
    assert.deepEqual(new LoadContext(options(), load).databases, ['data']);
    assert.deepEqual(new LoadContext(options({ databases: ['a', 'b'] }), load).databases, ['a', 'b']);
    assert.deepEqual(new LoadContext(options({ databases: [] }), load).databases, ['data']);
  });

  it("the user's abort stops the streams, until the run has finished", () => {
    const user = new AbortController();
    const run = new LoadContext(options({ signal: user.signal }), load);
    user.abort();
    assert.equal(run.stop.signal.aborted, true);

    const later = new AbortController();
    const done = new LoadContext(options({ signal: later.signal, bus: new MetricsBus() }), load);
    done.bus.emit({
      type: 'run-meta',
      meta: {
        ...load.describe,
        toolVersion: 'x',
        toolNodeName: 'n',
        via: 'push',
        database: 'data',
        thresholds: [],
        pauseThresholdMs: 50,
        blockedAfterMs: 500,
      },
    });
    done.finish();
    later.abort();
    assert.equal(done.stop.signal.aborted, false);
  });

  it('forgets a socket once the bus says it closed; its tool-side queue reads 0 then', () => {
    const run = new LoadContext(options(), load);
    const socket = { id: 7, sender: { queuedBytes: 1234 } } as unknown as ReplicationSocket;
    run.sockets.set(socket.id, socket);
    assert.equal(run.toolBuffered(7), 1234);
    run.bus.emit({ type: 'connection', socketId: 7, event: 'closed', code: 1000, reason: '' });
    assert.equal(run.toolBuffered(7), 0);
  });

  it('counts frames over every stream', () => {
    const run = new LoadContext(options(), load);
    assert.throws(() => run.totalFrames, /not open yet/);
    run.source = source;
    run.streams = ['a', 'b'].map((database) => {
      const tracker = new AckTracker(source.frameCount, source.sequenceId);
      return {
        plan: { stream: `m/${database}`, member: 'm', database },
        route: { member: 'm', database },
        tracker,
        source,
        prefix: '',
      };
    });
    run.streams[0]?.tracker.ack(2, Date.now());
    run.streams[1]?.tracker.ack(3, Date.now());
    assert.equal(run.totalFrames, 6);
    assert.equal(run.committedFrames, 5);
    assert.equal(run.totalRecords, 2 * source.totalRecords);
  });

  it('a source per database: each database gets its own, the totals add them up', () => {
    const run = new LoadContext(options(), load);
    const other = { ...source, frameCount: 5, totalRecords: 50, sequenceId: source.sequenceId };
    run.source = source;
    run.sourceByDatabase = new Map([['b', other]]);
    assert.equal(run.sourceFor('b'), other);
    assert.equal(run.sourceFor('a'), source, 'a database without its own takes the run source');
    run.streams = [source, other].map((s, i) => ({
      plan: { stream: `m/${i}`, member: 'm', database: String(i) },
      route: { member: 'm', database: String(i) },
      tracker: new AckTracker(s.frameCount, s.sequenceId),
      source: s,
      prefix: '',
    }));
    assert.equal(run.totalFrames, source.frameCount + 5);
    assert.equal(run.totalRecords, source.totalRecords + 50);
  });
});
