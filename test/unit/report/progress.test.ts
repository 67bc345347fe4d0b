/**
 * The live progress bar. A stream that is not a terminal gets nothing (cli-progress draws only on a TTY); the text
 * itself is read from a Writable that says it is a terminal, with the clock mocked so the final redraw (stop())
 * happens at a chosen time.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import type { RunEvent } from '../../../src/events/schema.js';
import { ProgressReporter } from '../../../src/report/progress.js';
import { ev, MiB, T0 } from './support.js';

class Capture extends Writable {
  output = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  readonly columns = 400;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.output += chunk.toString();
    done();
  }
}

const asStream = (capture: Capture) => capture as unknown as NodeJS.WriteStream;

const ESC = String.fromCharCode(27);
/** Terminal control sequences: CSI ones (cursor moves, clear line, show/hide cursor) and save/restore cursor. */
const CONTROL = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]|${ESC}[78]`, 'g');

/** Every line the bar drew (each starts by moving the cursor to column 1), control sequences removed. */
function renders(capture: Capture): string[] {
  return capture.output
    .split(`${ESC}[1G`)
    .map((chunk) => chunk.replace(CONTROL, '').replace(/\n/g, ''))
    .filter((line) => line.trim() !== '');
}

/**
 * Feeds the events to a reporter drawing on a fake terminal, then stops it at T0 + `stopAtMs`; returns the last line
 * drawn and the capture.
 */
function draw(
  t: TestContext,
  events: RunEvent[],
  stopAtMs: number,
  options: { blockedAfterMs?: number; pauseThresholdMs?: number } = {},
): { last: string; capture: Capture } {
  t.mock.timers.enable({ apis: ['Date', 'setTimeout'], now: T0 });
  const capture = new Capture(true);
  const reporter = new ProgressReporter(
    options.blockedAfterMs ?? 500,
    options.pauseThresholdMs ?? 50,
    asStream(capture),
  );
  for (const event of events) reporter.sink(event);
  t.mock.timers.tick(stopAtMs);
  reporter.stop();
  const lines = renders(capture);
  assert.ok(lines.length > 0, 'the bar drew something');
  return { last: lines.at(-1)!, capture };
}

/** The status field: what follows the RSS field. */
const status = (line: string) => line.slice(line.lastIndexOf(' | ', line.indexOf(' | stalled') - 1) + 3);

/** A number of ms from "STALLED 800 ms" / "stalled 800 ms" (formatMs below 1 s). */
function ms(line: string, pattern: RegExp): number {
  const match = pattern.exec(line);
  assert.ok(match, `${pattern} in ${JSON.stringify(line)}`);
  return Number(match[1]);
}

const start = ev.start(0, { frames: 4, records: 6000 });

/** Probe answered at 100 ms; the target's receive queue holds 5000 B from 100 ms on and never shrinks. */
const stalledSince100 = (untilMs: number): RunEvent[] => {
  const events: RunEvent[] = [start, ev.phase(10, 'streaming'), ev.probe(95, 5)];
  for (let t = 100; t <= untilMs; t += 100) events.push(ev.tcp(t, 1, { rx: 5000, tx: 1000 }));
  return events;
};

describe('ProgressReporter on a stream that is not a terminal', () => {
  it('writes nothing, whatever the events, and stops cleanly', () => {
    const capture = new Capture(false);
    const reporter = new ProgressReporter(500, 50, asStream(capture));
    const events = [...stalledSince100(900), ev.sent(950, 0), ev.committed(960, 0, 10), ev.proc(970, MiB)];
    for (const event of events) reporter.sink(event);
    reporter.sink(ev.phase(1000, 'done'));
    reporter.stop();
    assert.equal(capture.output, '');
  });
});

describe('ProgressReporter text', () => {
  it('frames, records and bytes sent, committed %, the target’s RSS now and peak, the phase', (t) => {
    const { last } = draw(
      t,
      [
        start,
        ev.phase(10, 'streaming'),
        ev.proc(20, 100 * MiB),
        ev.sent(100, 0, { records: 1500, bytes: 1024 }),
        ev.sent(200, 1, { records: 1500, bytes: 1024 }),
        ev.proc(250, 150 * MiB),
        ev.committed(300, 0, 200, 1500),
        ev.proc(350, 120 * MiB),
      ],
      1000,
    );
    // 1 of 4 frames committed: 25 %, 10 of the bar's 40 cells.
    assert.match(
      last,
      /^ █{10}░{30} 25% committed \| 2\/4 frames, 3,000 records, 2\.00 KiB sent \| target RSS 120\.0 MiB \/ peak 150\.0 MiB \| streaming \| stalled 0\.00 ms$/,
    );
  });

  it('an open-ended run: the bar is its time gone, the frames have no total, the status says what is left', (t) => {
    const meta = ev.meta(0, {
      workload: {
        frames: 0,
        recordsPerFrame: 10,
        recordSize: 100,
        blobSize: 0,
        seed: 7,
        openEnded: { durationMs: 4000 },
      },
    });
    const { last } = draw(
      t,
      [
        meta,
        ev.start(0, { frames: 0, records: 0 }),
        ev.phase(10, 'streaming'),
        ev.sent(1000, 0, { records: 10, bytes: 1024 }),
        ev.sent(1500, 1, { records: 10, bytes: 1024 }),
        ev.committed(1600, 0, 600),
      ],
      2000,
    );
    // 1 s of 4 s gone at T0 + 2000: 25 %, 10 of the bar's 40 cells.
    assert.match(
      last,
      /^ █{10}░{30} 25% of the time \| 2 frames \(1 committed\), 20 records, 2\.00 KiB sent \| target RSS – \| streaming \| elapsed 1\.00 s of 4\.00 s, 3\.00 s left \| stalled 0\.00 ms$/,
    );
  });

  it('a shard waiting for --start-at says for when, and how long is left', (t) => {
    const startAt = T0 + 5000;
    const meta = ev.meta(0, { sharding: { runId: 'r', index: 1, count: 3, startAt, samplesTarget: false } });
    const { last } = draw(t, [meta, start, ev.phase(10, 'waiting-for-start')], 1500);
    assert.match(
      last,
      new RegExp(
        `\\| waiting for start at ${new Date(startAt).toISOString()} \\(in 3\\.50 s\\) \\| stalled 0\\.00 ms$`,
      ),
    );
  });

  it('before any /proc sample the RSS is a dash; the phase follows the run', (t) => {
    const { last } = draw(t, [start, ev.phase(10, 'streaming'), ev.phase(500, 'waiting-for-acks')], 600);
    assert.match(
      last,
      / 0% committed \| 0\/4 frames, 0 records, 0 B sent \| target RSS – \| waiting-for-acks \| stalled 0\.00 ms$/,
    );
  });

  it('a stall in progress with the probe unanswered past blockedAfterMs: STALLED (target blocked)', (t) => {
    // At 1000 ms: stalled since 100 or 200 ms (the first sample without progress); no answer since 100 ms.
    const { last } = draw(t, stalledSince100(900), 1000);
    const current = ms(last, /\| STALLED (\d+) ms \(target blocked\) \| stalled (?:\d+) ms$/);
    assert.ok(current >= 800 && current <= 900, `stalled for ${current} ms`);
    assert.equal(ms(last, /\| stalled (\d+) ms$/), current, 'the total includes the stall in progress');
  });

  it('a stall in progress while the target answers its probes: STALLED (flow control)', (t) => {
    const probes = [150, 250, 350, 450, 550, 650, 750, 850, 945].map((asked) => ev.probe(asked, 5));
    const events = [...stalledSince100(900), ...probes].sort((a, b) => a.t - b.t);
    const { last } = draw(t, events, 1000);
    assert.match(last, /\| STALLED \d+ ms \(flow control\) \| stalled \d+ ms$/);
  });

  it('the blocked-after setting decides the cause', (t) => {
    const { last } = draw(t, stalledSince100(900), 1000, { blockedAfterMs: 950 });
    assert.match(last, /\(flow control\)/, 'unanswered for 900 ms < 950 ms');
  });

  it('a stall that ended adds to the stalled total; one no longer than the threshold does not', (t) => {
    const events: RunEvent[] = [
      start,
      ev.phase(10, 'streaming'),
      ev.tcp(100, 1, { rx: 5000, tx: 1000 }),
      ...[200, 300, 400, 500, 600].map((ms) => ev.tcp(ms, 1, { rx: 5000, tx: 1000 })),
      ev.tcp(700, 1, { rx: 1000, tx: 1000 }),
      // 710..730: 20 or 30 ms without progress, under the 50 ms threshold.
      ev.tcp(710, 1, { rx: 1000, tx: 1000 }),
      ev.tcp(720, 1, { rx: 1000, tx: 1000 }),
      ev.tcp(730, 1, { rx: 0, tx: 0 }),
    ];
    const { last } = draw(t, events, 1000);
    assert.doesNotMatch(last, /STALLED/);
    assert.match(status(last), /^streaming \| stalled \d+ ms$/);
    const total = ms(last, /stalled (\d+) ms$/);
    assert.ok(total >= 500 && total <= 600, `one 500–600 ms stall, got ${total} ms`);
  });

  it('counts a stall like the final summary: from the last sample that showed progress (exactly 600 ms here)', (t) => {
    const events: RunEvent[] = [
      start,
      ev.phase(10, 'streaming'),
      ev.tcp(100, 1, { rx: 5000, tx: 1000 }),
      ev.tcp(200, 1, { rx: 5000, tx: 1000 }),
      ev.tcp(700, 1, { rx: 0, tx: 0 }),
    ];
    const { last } = draw(t, events, 1000);
    assert.equal(ms(last, /stalled (\d+) ms$/), 600);
  });

  it('keeps each connection apart: interleaved samples of two sockets are not compared with each other', (t) => {
    // Socket 1 drains steadily, socket 2 holds a constant queue from 100 to 700: only socket 2 stalls (600 ms).
    const events: RunEvent[] = [start, ev.phase(10, 'streaming')];
    for (let ms = 100; ms <= 600; ms += 100) {
      events.push(ev.tcp(ms, 1, { rx: 10_000 - ms * 10, tx: 0 }), ev.tcp(ms + 1, 2, { rx: 5000, tx: 1000 }));
    }
    events.push(ev.tcp(701, 2, { rx: 0, tx: 0 }));
    const { last } = draw(t, events, 1000);
    assert.equal(ms(last, /stalled (\d+) ms$/), 600);
  });

  it('a connection that closes while stalled ends its stall at the close', (t) => {
    const events: RunEvent[] = [
      start,
      ev.phase(10, 'streaming'),
      ev.tcp(100, 1, { rx: 5000, tx: 1000 }),
      ev.tcp(200, 1, { rx: 5000, tx: 1000 }),
      { type: 'connection', t: T0 + 400, socketId: 1, event: 'closed', code: 1006, reason: '' },
    ];
    const { last } = draw(t, events, 5000);
    assert.doesNotMatch(last, /STALLED/);
    assert.equal(ms(last, /stalled (\d+) ms$/), 300);
  });

  it('shows the frame total formatted (12,000), not cli-progress’s raw total', (t) => {
    const { last } = draw(
      t,
      [ev.start(0, { frames: 12_000, records: 1 }), ev.sent(10, 0, { records: 1, bytes: 1 })],
      100,
    );
    assert.match(last, / 1\/12,000 frames/);
  });

  it('a stall that ended within the threshold adds nothing to the total', (t) => {
    const events = [
      start,
      ev.phase(10, 'streaming'),
      ev.tcp(100, 1, { rx: 10 }),
      ev.tcp(110, 1, { rx: 10 }),
      ev.tcp(120, 1, { rx: 10 }),
      ev.tcp(130, 1, { rx: 10 }),
      // 30 ms from the first sample without progress, 40 ms from the last progress: under 50 ms either way.
      ev.tcp(140, 1, { rx: 0 }),
    ];
    const { last } = draw(t, events, 500);
    assert.equal(status(last), 'streaming | stalled 0.00 ms');
  });

  it('a stall in progress no longer than the threshold is not shown', (t) => {
    const events = [
      start,
      ev.phase(10, 'streaming'),
      ev.tcp(100, 1, { rx: 10 }),
      ev.tcp(110, 1, { rx: 10 }),
      ev.tcp(120, 1, { rx: 10 }),
    ];
    const { last } = draw(t, events, 140);
    assert.equal(status(last), 'streaming | stalled 0.00 ms');
  });

  it('the pause threshold is the reporter’s own setting', (t) => {
    const { last } = draw(t, stalledSince100(900), 1000, { pauseThresholdMs: 1000 });
    assert.equal(status(last), 'streaming | stalled 0.00 ms', 'an 800–900 ms stall is under 1 s');
  });

  it('phase done stops the bar: it ends its line, and later events and stop() draw nothing more', (t) => {
    t.mock.timers.enable({ apis: ['Date', 'setTimeout'], now: T0 });
    const capture = new Capture(true);
    const reporter = new ProgressReporter(500, 50, asStream(capture));
    reporter.sink(start);
    reporter.sink(ev.committed(100, 0, 10));
    t.mock.timers.tick(200);
    reporter.sink(ev.phase(200, 'done'));
    assert.ok(capture.output.endsWith('\n'), 'the finished bar keeps its line');
    const after = capture.output;
    reporter.sink(ev.committed(300, 1, 10));
    t.mock.timers.tick(1000);
    reporter.stop();
    assert.equal(capture.output, after);
    assert.match(renders(capture).at(-1)!, / 25% committed \| 0\/4 frames/);
  });

  it('stop() before run-start draws nothing', (t) => {
    t.mock.timers.enable({ apis: ['Date', 'setTimeout'], now: T0 });
    const capture = new Capture(true);
    const reporter = new ProgressReporter(500, 50, asStream(capture));
    reporter.sink(ev.sent(0, 0));
    reporter.stop();
    assert.equal(capture.output, '');
  });
});
