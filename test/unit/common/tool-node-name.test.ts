/** The tool's registration name: recognisable, parseable back, and judged conservatively by cleanup. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  hostLabel,
  newToolNodeName,
  parseToolNodeName,
  registrationVerdict,
} from '../../../src/common/tool-node-name.js';

describe('newToolNodeName / parseToolNodeName', () => {
  it('carries the prefix, the host label, the pid and a random id, and parses back', () => {
    const name = newToolNodeName({ host: 'Build-Box.example.com', pid: 4242, id: 'a1b2c3' });
    assert.equal(name, 'harper-replay-build-box-example-com-4242-a1b2c3');
    assert.deepEqual(parseToolNodeName(name), { host: 'build-box-example-com', pid: 4242, id: 'a1b2c3' });
  });

  it('defaults to this host and this process; two names differ', () => {
    const a = newToolNodeName();
    const parsed = parseToolNodeName(a);
    assert.ok(parsed && parsed !== 'legacy', a);
    assert.equal(parsed.pid, process.pid);
    assert.notEqual(a, newToolNodeName());
  });

  it('is a DNS label of at most 63 characters whatever the host name', () => {
    for (const host of ['', '---', 'ÜBER_host', 'a'.repeat(200), 'x.y']) {
      const name = newToolNodeName({ host, pid: 4194304 });
      assert.match(name, /^[a-z0-9-]+$/, host);
      assert.ok(name.length <= 63, `${name.length}`);
      assert.ok(parseToolNodeName(name) !== undefined, name);
    }
    assert.equal(hostLabel('---'), 'host');
    assert.equal(hostLabel('My_Laptop.local'), 'my-laptop-local');
  });

  it("a shard's name carries its run id and index, parses back, and stays a 63-character label", () => {
    const name = newToolNodeName({
      host: 'pod-7',
      pid: 1,
      id: 'a1b2c3',
      shard: { runId: 'Soak-42', index: 2 },
    });
    assert.equal(name, 'harper-replay-pod-7-1-a1b2c3-rsoak-42-s2');
    assert.deepEqual(parseToolNodeName(name), {
      host: 'pod-7',
      pid: 1,
      id: 'a1b2c3',
      shard: { runId: 'soak-42', index: 2 },
    });
    for (const host of ['', 'h', 'a'.repeat(200), 'soak-run-0-abcdef']) {
      for (const runId of [
        'r',
        'x'.repeat(40),
        'A-b-C-9-9-9-abcdef-1',
        `${'y'.repeat(20)}-${'z'.repeat(19)}`,
      ]) {
        for (const index of [0, 6, 999]) {
          const sharded = newToolNodeName({ host, pid: 4194304, shard: { runId, index } });
          assert.match(sharded, /^[a-z0-9-]+$/, sharded);
          assert.ok(sharded.length <= 63, `${sharded} is ${sharded.length} long`);
          const parsed = parseToolNodeName(sharded);
          assert.ok(parsed && parsed !== 'legacy', sharded);
          assert.equal(parsed.pid, 4194304, sharded);
          assert.equal(parsed.shard?.index, index, sharded);
          assert.ok(runId.toLowerCase().startsWith(parsed.shard!.runId), sharded);
        }
      }
    }
    // A short run id is kept whole.
    const whole = newToolNodeName({
      host: 'a'.repeat(60),
      pid: 123,
      shard: { runId: 'nightly-2026-12-04', index: 1 },
    });
    const parsedWhole = parseToolNodeName(whole);
    assert.ok(parsedWhole && parsedWhole !== 'legacy', whole);
    assert.equal(parsedWhole.shard?.runId, 'nightly-2026-12-04');
  });

  it('tells an older name of the tool from names that are not the tool’s', () => {
    assert.equal(parseToolNodeName('harper-replay-0badc0de'), 'legacy');
    for (const other of [
      'node-a',
      'harper-replay',
      'harper-replay-',
      'my-harper-replay-box-1-abcdef',
      '127.0.0.1',
    ])
      assert.equal(parseToolNodeName(other), undefined, other);
  });
});

describe('registrationVerdict', () => {
  const here = { host: 'box', alive: (pid: number) => pid === 100 };

  it('stale: this host, pid gone', () => {
    const verdict = registrationVerdict('harper-replay-box-200-abcdef', here);
    assert.equal(verdict.kind, 'stale');
    assert.match((verdict as { reason: string }).reason, /pid 200 .*gone/);
  });

  it('live: this host, pid running (never removed, even if the pid was reused)', () => {
    assert.equal(registrationVerdict('harper-replay-box-100-abcdef', here).kind, 'live');
  });

  it('unknown: another host, or an older name', () => {
    const other = registrationVerdict('harper-replay-elsewhere-200-abcdef', here);
    assert.equal(other.kind, 'unknown');
    assert.match((other as { reason: string }).reason, /host elsewhere/);
    assert.equal(registrationVerdict('harper-replay-0badc0de', here).kind, 'unknown');
  });

  it('not-ours: any other node', () => {
    assert.equal(registrationVerdict('node-b', here).kind, 'not-ours');
  });

  it("names a dead shard's run and index; its host, cut short in the name, is still this host", () => {
    const name = newToolNodeName({
      host: 'worker-node-17.cluster.local',
      pid: 200,
      shard: { runId: 'r1', index: 2 },
    });
    const verdict = registrationVerdict(name, { ...here, host: 'worker-node-17.cluster.local' });
    assert.equal(verdict.kind, 'stale');
    assert.match((verdict as { reason: string }).reason, /^shard 2 of run r1: pid 200 .*gone/);
    assert.equal(registrationVerdict(name, { ...here, host: 'worker-node-99' }).kind, 'unknown');
  });

  it('compares host labels, not raw host names', () => {
    assert.equal(
      registrationVerdict('harper-replay-box-local-200-abcdef', { ...here, host: 'Box.local' }).kind,
      'stale',
    );
  });
});
