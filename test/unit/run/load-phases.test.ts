/**
 * The load run's phases that need no node: what run-meta says, a source that cannot be opened, how a failure is
 * classified (target lost, interrupt, mapped errors), the settle check, verification and cleanup. The phases that
 * start a target, samplers and sessions are covered by the integration tests.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { MetricsBus } from '../../../src/events/metrics-bus.js';
import type { RunEvent } from '../../../src/events/schema.js';
import type { OperationsClient } from '../../../src/harper/operations-client.js';
import { LoadContext } from '../../../src/run/load-context.js';
import type { LoadRunOptions, LoadWorkload } from '../../../src/run/load-options.js';
import {
  announce,
  classifyFailure,
  cleanUp,
  openSource,
  settle,
  verifyLanded,
} from '../../../src/run/load-phases.js';
import type { ResolvedTarget } from '../../../src/run/target.js';
import { AckTracker } from '../../../src/session/ack-tracker.js';
import { AbortedError, ChannelTimeoutError } from '../../../src/session/channel.js';
import { DialError } from '../../../src/session/dial.js';
import type { FrameSource } from '../../../src/workload/synthetic.js';

function options(overrides: Partial<LoadRunOptions> = {}): LoadRunOptions {
  return {
    target: { url: 'http://127.0.0.1:1' },
    via: 'peer',
    listenHost: '127.0.0.1',
    listenPort: 0,
    database: 'data',
    maxReconnects: 5,
    ackTimeoutMs: 1000,
    subscribeTimeoutMs: 1000,
    verify: true,
    highWaterMark: 1 << 20,
    signal: new AbortController().signal,
    settleMs: 0,
    ...overrides,
  };
}

const source: FrameSource = {
  frameCount: 4,
  totalRecords: 40,
  preamble: () => [],
  build: () => {
    throw new Error('not streamed in these tests');
  },
  sequenceId: (index) => 100 + index,
  recordsIn: () => 10,
};

function workload(overrides: Partial<LoadWorkload> = {}): LoadWorkload {
  return {
    describe: {
      command: 'synth',
      table: 't',
      workload: { frames: 4, recordsPerFrame: 10, recordSize: 64, blobSize: 0, seed: 1 },
    },
    source: () => source,
    prepare: async () => {},
    ...overrides,
  };
}

function context(opts: Partial<LoadRunOptions> = {}, load: Partial<LoadWorkload> = {}) {
  const bus = new MetricsBus();
  const events: RunEvent[] = [];
  bus.subscribe((event) => events.push(event));
  const run = new LoadContext(options({ bus, ...opts }), workload(load));
  return { run, events };
}

/** Streams for members × databases, the first `committed[i]` frames of each committed. */
function withStreams(run: LoadContext, committed: number[]): void {
  run.source = source;
  run.streams = committed.map((count, i) => {
    const tracker = new AckTracker(source.frameCount, source.sequenceId);
    if (count > 0) tracker.ack(source.sequenceId(count - 1), Date.now());
    const database = `db${i}`;
    return {
      plan: { stream: `target/${database}`, member: 'target', database },
      route: { member: 'target', database },
      tracker,
      source,
      prefix: committed.length > 1 ? `target/${database}: ` : '',
    };
  });
}

const fakeClient = { url: 'http://127.0.0.1:1' } as OperationsClient;

function fakeTarget(embedded: boolean, stopped: string[]): ResolvedTarget {
  return {
    client: fakeClient,
    nodeName: 'target',
    operationsUrl: 'http://127.0.0.1:1',
    replicationUrl: 'ws://127.0.0.1:2',
    ...(embedded ? { embedded: {} as NonNullable<ResolvedTarget['embedded']> } : {}),
    stop: async () => {
      stopped.push('target');
    },
  };
}

describe('load phases', () => {
  it('announce: run-meta names the tool, the databases, fan-out and the thresholds', () => {
    const { run, events } = context({ databases: ['a', 'b'], fanOut: true, thresholds: ['peakRss<1GB'] });
    announce(run);
    const meta = events.find((e) => e.type === 'run-meta');
    assert.ok(meta?.type === 'run-meta');
    assert.match(meta.meta.toolNodeName, /^harper-replay-[a-z0-9-]+-\d+-[0-9a-f]{6}$/);
    assert.equal(meta.meta.database, 'a');
    assert.deepEqual(meta.meta.databases, ['a', 'b']);
    assert.equal(meta.meta.fanOut, true);
    assert.deepEqual(meta.meta.thresholds, ['peakRss<1GB']);
    assert.equal(meta.meta.pauseThresholdMs, 50);
    assert.match(meta.meta.toolVersion, /^\d+\.\d+\.\d+/);
  });

  it('announce: one database is not listed as databases', () => {
    const { run, events } = context();
    announce(run);
    const meta = events.find((e) => e.type === 'run-meta');
    assert.ok(meta?.type === 'run-meta');
    assert.equal(meta.meta.database, 'data');
    assert.equal(meta.meta.databases, undefined);
  });

  it('openSource: a source that throws ends the run failed with its mapped exit code, nothing else run', async () => {
    const bad = new HarperReplayError('captures/x.hrcap: not a capture', ExitCode.BAD_INPUT);
    const { run, events } = context({}, { source: () => Promise.reject(bad) });
    announce(run);
    assert.equal(await openSource(run), false);
    const result = run.finish(false);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.exitCode, ExitCode.BAD_INPUT);
    assert.equal(result.error, 'captures/x.hrcap: not a capture');
    assert.deepEqual(
      events.map((e) => e.type),
      ['run-meta', 'run-end'],
      'no phase is entered when the source does not open',
    );
  });

  const mapped: Array<[string, unknown, number, string]> = [
    ['a refused dial', new DialError('connect ECONNREFUSED', 'refused'), ExitCode.UNREACHABLE, 'failed'],
    ['refused credentials', new DialError('401', 'unauthorized'), ExitCode.AUTH_FAILED, 'failed'],
    ['a TLS failure', new DialError('unknown CA', 'tls'), ExitCode.TLS_FAILED, 'failed'],
    ['no subscription in time', new ChannelTimeoutError('no subscription'), ExitCode.ERROR, 'failed'],
    [
      'acks that stopped',
      new HarperReplayError('no commit acknowledgement', ExitCode.VERIFY_FAILED),
      ExitCode.VERIFY_FAILED,
      'incomplete',
    ],
    ['anything else', new Error('boom'), ExitCode.ERROR, 'failed'],
  ];
  for (const [what, error, exitCode, outcome] of mapped) {
    it(`classifyFailure: ${what} → exit ${exitCode}, ${outcome}`, () => {
      const { run } = context();
      withStreams(run, [1]);
      classifyFailure(run, error);
      assert.equal(run.exitCode, exitCode);
      assert.equal(run.outcome, outcome);
      assert.equal(run.error, (error as Error).message);
    });
  }

  it('classifyFailure: an interrupt wins over the error it caused', () => {
    const abort = new AbortController();
    const { run } = context({ signal: abort.signal });
    withStreams(run, [0]);
    abort.abort();
    classifyFailure(run, new Error('socket closed'));
    assert.equal(run.outcome, 'interrupted');
    assert.equal(run.exitCode, ExitCode.INTERRUPTED);
    classifyFailure(run, new AbortedError());
    assert.equal(run.exitCode, ExitCode.INTERRUPTED);
  });

  it('classifyFailure: a lost target names the resume point (one stream) or each stream (several)', () => {
    const one = context({}, { resumeHint: (committed) => `--from-frame ${committed}` }).run;
    withStreams(one, [3]);
    one.targetLost = 'the target process exited';
    classifyFailure(one, new AbortedError());
    assert.equal(one.exitCode, ExitCode.ERROR);
    assert.equal(one.error, 'the target process exited mid-run; 3 of 4 frames committed (--from-frame 3)');

    const many = context().run;
    withStreams(many, [1, 4]);
    many.targetLost = 'the target process exited';
    classifyFailure(many, new AbortedError());
    assert.equal(
      many.error,
      'the target process exited mid-run; 5 of 8 frames committed (per stream: target/db0 1, target/db1 4)',
    );
  });

  it('settle: streams short of their frames make the run incomplete (exit 3), naming them', async () => {
    const { run } = context();
    withStreams(run, [4, 2]);
    await settle(run);
    assert.equal(run.outcome, 'incomplete');
    assert.equal(run.exitCode, ExitCode.VERIFY_FAILED);
    assert.equal(run.error, '6 of 8 frames committed (incomplete: target/db1)');

    const complete = context().run;
    withStreams(complete, [4]);
    await settle(complete);
    assert.equal(complete.exitCode, ExitCode.OK);
  });

  it('verifyLanded: one verify per stream, a short count is exit 3, a failing count is a warning and null', async () => {
    const counts: Record<string, number | Error> = { db0: 40, db1: 39, db2: new Error('HTTP 500') };
    const { run, events } = context(
      {},
      {
        verify: async (_client, database) => {
          const count = counts[database];
          if (count instanceof Error) throw count;
          return { expectedRecords: 40, targetRecords: count ?? 0 };
        },
      },
    );
    withStreams(run, [4, 4, 4]);
    run.target = fakeTarget(false, []);
    await verifyLanded(run);
    const verifies = events.filter((e) => e.type === 'verify');
    assert.deepEqual(
      verifies.map((e) => (e.type === 'verify' ? [e.stream, e.targetRecords, e.ok] : [])),
      [
        ['target/db0', 40, true],
        ['target/db1', 39, false],
        ['target/db2', null, null],
      ],
    );
    assert.ok(
      events.some(
        (e) => e.type === 'warning' && /verification of target\/db2 failed: HTTP 500/.test(e.message),
      ),
    );
    assert.equal(run.exitCode, ExitCode.VERIFY_FAILED);
    assert.equal(run.error, '1 of 3 stream(s) did not land every record (see verify)');
  });

  it('verifyLanded: skipped after a failed run, and a mismatch does not hide an earlier exit code', async () => {
    let calls = 0;
    const verify = async () => {
      calls++;
      return { expectedRecords: 40, targetRecords: 0 };
    };
    const failed = context({}, { verify }).run;
    withStreams(failed, [0]);
    failed.target = fakeTarget(false, []);
    failed.end('failed', ExitCode.ERROR, 'boom');
    await verifyLanded(failed);
    assert.equal(calls, 0);

    const interrupted = context({}, { verify }).run;
    withStreams(interrupted, [2]);
    interrupted.target = fakeTarget(false, []);
    interrupted.end('interrupted', ExitCode.INTERRUPTED, 'interrupted');
    await verifyLanded(interrupted);
    assert.equal(calls, 1, 'an interrupted run is still verified: the user wants to know what landed');
    assert.equal(interrupted.exitCode, ExitCode.INTERRUPTED);
  });

  it('cleanUp: closes the session (one quick try when the target is lost), stops the target, closes the source', async () => {
    const calls: string[] = [];
    const { run, events } = context({}, { close: async () => void calls.push('source') });
    announce(run);
    withStreams(run, [4]);
    run.target = fakeTarget(true, calls);
    run.targetLost = 'the target process exited';
    run.session = {
      next: () => Promise.reject(new Error('unused')),
      close: async (retryForMs?: number) => void calls.push(`session ${retryForMs}`),
      registered: false,
    };
    await cleanUp(run);
    assert.deepEqual(calls, ['session 0', 'target', 'source']);
    assert.deepEqual(run.cleanup, { removedFromTarget: true, targetStopped: true });
    const result = run.finish();
    assert.deepEqual(result.cleanup, { removedFromTarget: true, targetStopped: true });
    assert.deepEqual(
      events.slice(-3).map((e) => (e.type === 'phase' ? e.phase : e.type)),
      ['cleaning-up', 'run-end', 'done'],
    );
  });
});
