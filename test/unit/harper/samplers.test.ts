/**
 * TargetSamplers for a remote target (no pid: no /proc or TCP sampling), driven by a scripted operations client:
 * probe and sysinfo samples on the bus, the member label, the log read through read_log at stop, and when the
 * target counts as lost (refused probes only, for lostAfterMs). Nothing here talks to a node.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsBus } from '../../../src/events/metrics-bus.js';
import type { RunEvent, Sample } from '../../../src/events/schema.js';
import {
  type LogEntry,
  OperationsApiError,
  type OperationsClient,
  type ReadLogOptions,
  type SystemInformation,
} from '../../../src/harper/operations-client.js';
import { type SamplerOptions, TargetSamplers } from '../../../src/harper/samplers.js';
import { guard, Inbox } from '../session/support.js';

interface Script {
  probe?: () => unknown;
  sysinfo?: () => SystemInformation;
  log?: () => LogEntry[];
}

function samplers(script: Script, overrides: Partial<SamplerOptions> = {}) {
  const bus = new MetricsBus();
  const events = new Inbox<RunEvent>();
  bus.subscribe(events.push);
  const readLogCalls: ReadLogOptions[] = [];
  const client = {
    url: 'http://node.example:9925',
    call: async (body: { operation: string }) => {
      assert.equal(body.operation, 'user_info');
      return script.probe ? script.probe() : { username: 'admin' };
    },
    systemInformation: async (attributes: string[]) => {
      assert.deepEqual(attributes, ['memory', 'threads']);
      if (!script.sysinfo) throw new Error('no system_information');
      return script.sysinfo();
    },
    readLog: async (options: ReadLogOptions) => {
      readLogCalls.push(options);
      if (!script.log) throw new Error('read_log failed');
      return script.log();
    },
  } as unknown as OperationsClient;
  const sampler = new TargetSamplers({ bus, client, probeIntervalMs: 5, sysinfoIntervalMs: 5, ...overrides });
  return { sampler, events, readLogCalls };
}

async function nextSample<K extends Sample['kind']>(
  events: Inbox<RunEvent>,
  kind: K,
): Promise<Extract<RunEvent, { type: 'sample' }> & { sample: Extract<Sample, { kind: K }> }> {
  for (;;) {
    const event = await events.next(`a ${kind} sample`);
    if (event.type === 'sample' && event.sample.kind === kind)
      return event as Extract<RunEvent, { type: 'sample' }> & { sample: Extract<Sample, { kind: K }> };
  }
}

describe('TargetSamplers (remote target)', () => {
  it('emits probe and sysinfo samples; thread fields only where the node gave them', async () => {
    const { sampler, events } = samplers({
      sysinfo: () => ({
        memory: { rss: 300, heapUsed: 100, heapTotal: 200 },
        threads: [
          { threadId: 1, heapUsed: 50, utilization: 0.5 },
          { threadId: 2, name: 'http' },
        ],
      }),
    });
    const before = Date.now();
    await sampler.start();
    try {
      const probe = await nextSample(events, 'probe');
      assert.equal(probe.sample.ok, true);
      assert.ok(probe.sample.requestedAt >= before && probe.sample.latencyMs >= 0);
      assert.equal(probe.member, undefined, 'the target’s own samples carry no member');
      const sysinfo = await nextSample(events, 'sysinfo');
      assert.equal(sysinfo.sample.rss, 300);
      assert.equal(sysinfo.sample.heapUsed, 100);
      assert.deepEqual(sysinfo.sample.threads, [
        { threadId: 1, heapUsed: 50, utilization: 0.5 },
        { threadId: 2 },
      ]);
      // Loops, not one-shots.
      await nextSample(events, 'probe');
      await nextSample(events, 'sysinfo');
    } finally {
      await sampler.stop();
    }
  });

  it('sysinfo without memory or threads: null and an empty list', async () => {
    const { sampler, events } = samplers({ sysinfo: () => ({}) });
    await sampler.start();
    try {
      const { sample } = await nextSample(events, 'sysinfo');
      assert.deepEqual([sample.rss, sample.heapUsed, sample.threads], [null, null, []]);
    } finally {
      await sampler.stop();
    }
  });

  it('a failing probe is a sample with ok false', async () => {
    const { sampler, events } = samplers({
      probe: () => {
        throw new OperationsApiError('timeout', 'no answer');
      },
    });
    await sampler.start();
    try {
      assert.equal((await nextSample(events, 'probe')).sample.ok, false);
    } finally {
      await sampler.stop();
    }
  });

  it('a member’s samplers label every event with the member', async () => {
    const { sampler, events } = samplers({ sysinfo: () => ({}), log: () => [] }, { member: 'node-b' });
    await sampler.start();
    try {
      assert.equal((await nextSample(events, 'probe')).member, 'node-b');
      assert.equal((await nextSample(events, 'sysinfo')).member, 'node-b');
    } finally {
      await sampler.stop();
    }
  });

  it('stop() reads the log since the start through read_log and emits what it finds', async () => {
    const { sampler, events, readLogCalls } = samplers({
      log: () => [
        {
          timestamp: '2025-01-01T00:00:01.000Z',
          level: 'error',
          message: 'Worker died: ERR_WORKER_OUT_OF_MEMORY',
        },
        { timestamp: '2025-01-01T00:00:02.000Z', level: 'info', message: 'all is well' },
        {
          timestamp: '2025-01-01T00:00:03.000Z',
          level: 'debug',
          message: 'Commit backlog causing replication back-pressure',
        },
      ],
    });
    const before = Date.now();
    await sampler.start();
    await sampler.stop();
    assert.equal(readLogCalls.length, 1);
    const [options] = readLogCalls;
    assert.equal(options!.limit, 20_000);
    assert.equal(options!.order, 'asc');
    const from = Date.parse(options!.from!);
    assert.ok(from >= before - 1 && from <= Date.now(), `from ${options!.from} is the start`);
    const matches = events
      .drain()
      .filter((e): e is Extract<RunEvent, { type: 'log-match' }> => e.type === 'log-match');
    assert.deepEqual(
      matches.map(({ kind, at, line }) => ({ kind, at, line })),
      [
        {
          kind: 'oom',
          at: '2025-01-01T00:00:01.000Z',
          line: '2025-01-01T00:00:01.000Z [error] Worker died: ERR_WORKER_OUT_OF_MEMORY',
        },
        {
          kind: 'pause',
          at: '2025-01-01T00:00:03.000Z',
          line: '2025-01-01T00:00:03.000Z [debug] Commit backlog causing replication back-pressure',
        },
      ],
    );
  });

  it('a failing read_log ends stop() quietly, without log matches', async () => {
    const { sampler, events } = samplers({});
    await sampler.start();
    await guard(sampler.stop(), 'stop');
    assert.equal(events.drain().filter((e) => e.type === 'log-match').length, 0);
  });

  it('stop() before start() does nothing', async () => {
    const { sampler, readLogCalls } = samplers({ log: () => [] });
    await sampler.stop();
    assert.equal(readLogCalls.length, 0);
  });

  it('probes refused for lostAfterMs: the target is lost', async () => {
    const { sampler } = samplers(
      {
        probe: () => {
          throw new OperationsApiError('refused', 'connect ECONNREFUSED');
        },
      },
      { lostAfterMs: 20 },
    );
    await sampler.start();
    try {
      assert.equal(
        await guard(sampler.targetLost, 'target lost'),
        "the target's operations API has not answered for 0 s",
      );
    } finally {
      await sampler.stop();
    }
  });

  for (const kind of ['timeout', 'http'] as const) {
    it(`probes that fail otherwise (${kind}) never make the target lost`, async () => {
      const { sampler, events } = samplers(
        {
          probe: () => {
            throw new OperationsApiError(kind, 'no good answer');
          },
        },
        { lostAfterMs: 1 },
      );
      let lost = false;
      sampler.targetLost.then(() => {
        lost = true;
      });
      await sampler.start();
      try {
        // Three failed probes, 200 ms apart: refused ones would have made the target lost after the second.
        for (let i = 0; i < 3; i++) assert.equal((await nextSample(events, 'probe')).sample.ok, false);
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(lost, false);
      } finally {
        await sampler.stop();
      }
    });
  }
});
