import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsBus, type RunEventInput } from '../../../src/events/metrics-bus.js';
import type { RunEvent } from '../../../src/events/schema.js';

const warning = (message: string): RunEventInput => ({ type: 'warning', message });

describe('MetricsBus', () => {
  it('stamps every event with the time of emit and keeps its fields', () => {
    const bus = new MetricsBus();
    const seen: RunEvent[] = [];
    bus.subscribe((event) => seen.push(event));
    const input: RunEventInput = { type: 'ack', socketId: 3, sequenceId: 1234.5, stream: 'node-a/data' };
    const before = Date.now();
    bus.emit(input);
    const after = Date.now();
    assert.equal(seen.length, 1);
    const event = seen[0]!;
    assert.ok(event.t >= before && event.t <= after, `${event.t} in [${before}, ${after}]`);
    assert.deepEqual(event, { ...input, t: event.t });
    assert.equal('t' in input, false, 'the caller’s object is not stamped in place');
  });

  it('the stamp replaces a t the caller smuggled in', () => {
    const bus = new MetricsBus();
    const seen: RunEvent[] = [];
    bus.subscribe((event) => seen.push(event));
    const before = Date.now();
    bus.emit({ type: 'warning', message: 'old', t: 1 } as unknown as RunEventInput);
    assert.ok(seen[0]!.t >= before);
  });

  it('stamps each event at its own emit', async () => {
    const bus = new MetricsBus();
    const times: number[] = [];
    bus.subscribe((event) => times.push(event.t));
    bus.emit(warning('first'));
    await new Promise((resolve) => setTimeout(resolve, 25));
    bus.emit(warning('second'));
    assert.equal(times.length, 2);
    assert.ok(times[1]! - times[0]! >= 20, `${times[1]} − ${times[0]} ≥ 20 ms`);
  });

  it('hands every sink the same stamped event, in subscription order', () => {
    const bus = new MetricsBus();
    const calls: Array<[string, RunEvent]> = [];
    for (const name of ['a', 'b', 'c']) bus.subscribe((event) => calls.push([name, event]));
    bus.emit(warning('x'));
    assert.deepEqual(
      calls.map(([name]) => name),
      ['a', 'b', 'c'],
    );
    assert.ok(
      calls.every(([, event]) => event === calls[0]![1]),
      'one object, one t',
    );
  });

  it('a throwing sink does not stop the sinks after it, nor later events, nor the emitter', () => {
    const bus = new MetricsBus();
    const seen: string[] = [];
    bus.subscribe((event) => seen.push(`before:${(event as { message: string }).message}`));
    bus.subscribe(() => {
      throw new Error('reporter bug');
    });
    bus.subscribe(() => {
      throw 'not even an Error';
    });
    bus.subscribe((event) => seen.push(`after:${(event as { message: string }).message}`));
    assert.doesNotThrow(() => bus.emit(warning('one')));
    assert.doesNotThrow(() => bus.emit(warning('two')));
    assert.deepEqual(seen, ['before:one', 'after:one', 'before:two', 'after:two']);
  });

  it('unsubscribe stops delivery to that sink only; calling it twice is harmless', () => {
    const bus = new MetricsBus();
    const a: string[] = [];
    const b: string[] = [];
    const unsubscribeA = bus.subscribe((event) => a.push(event.type));
    bus.subscribe((event) => b.push(event.type));
    bus.emit(warning('1'));
    unsubscribeA();
    bus.emit(warning('2'));
    unsubscribeA();
    bus.emit({ type: 'target-exited', pid: 42 });
    assert.deepEqual(a, ['warning']);
    assert.deepEqual(b, ['warning', 'warning', 'target-exited']);
  });

  it('a sink subscribed twice is one subscription; one unsubscribe removes it', () => {
    const bus = new MetricsBus();
    let calls = 0;
    const sink = () => {
      calls++;
    };
    const first = bus.subscribe(sink);
    bus.subscribe(sink);
    bus.emit(warning('x'));
    assert.equal(calls, 1);
    first();
    bus.emit(warning('y'));
    assert.equal(calls, 1);
  });

  it('a sink may unsubscribe itself while the event is delivered; the others still get it', () => {
    const bus = new MetricsBus();
    const seen: string[] = [];
    const unsubscribe = bus.subscribe(() => {
      seen.push('once');
      unsubscribe();
    });
    bus.subscribe(() => seen.push('always'));
    bus.emit(warning('1'));
    bus.emit(warning('2'));
    assert.deepEqual(seen, ['once', 'always', 'always']);
  });

  it('emitting with no sinks is a no-op', () => {
    assert.doesNotThrow(() => new MetricsBus().emit(warning('nobody listens')));
  });
});
