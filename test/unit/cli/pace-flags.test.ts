import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadFlags } from '../../../src/cli/load-command.js';
import { synthPace } from '../../../src/cli/pace-flags.js';
import { synthFlags, synthOptions } from '../../../src/cli/workload-flags.js';
import { parseFlags, refuses, withoutHarperEnvironment } from './support.js';

withoutHarperEnvironment();

const flags = { ...loadFlags, ...synthFlags };
const parse = (...argv: string[]) => parseFlags(flags, argv);

describe('pace flags', () => {
  it('--stages sets the frame count from the records it asks for', () => {
    const pace = synthPace({ stages: '5s:0-2000rps,10s:2000rps,5s:2000-0rps' }, 100, 20);
    assert.equal(pace.frames, 300);
    assert.equal(pace.schedule?.stages.length, 3);
  });

  it('--duration with --rate: the frames the rate asks for in that time', () => {
    assert.equal(synthPace({ duration: '20s', rate: { perSecond: 5, unit: 'fps' } }, 100, 1).frames, 100);
    assert.equal(synthPace({ duration: '20s', rate: { perSecond: 1000, unit: 'rps' } }, 300, 1).frames, 67);
  });

  it('a plain --rate keeps the frames and paces them in one stage', () => {
    const pace = synthPace({ rate: { perSecond: 500, unit: 'rps' } }, 100, 10);
    assert.equal(pace.frames, 10);
    assert.deepEqual(pace.schedule, { unit: 'rps', stages: [{ durationMs: 2000, from: 500, to: 500 }] });
    assert.deepEqual(synthPace({}, 100, 10), { frames: 10 });
  });

  it('refuses what cannot work, naming the flag', async () => {
    assert.throws(
      () => synthPace({ duration: '0s', rate: { perSecond: 1, unit: 'fps' } }, 1, 1),
      /--duration 0s: must be more than 0/,
    );
    assert.throws(() => synthPace({ duration: '10x' }, 1, 1), /--duration "10x" is not a duration/);
    assert.throws(
      () => synthPace({ stages: '10s:0rps' }, 1, 1),
      /--stages "10s:0rps": the stages ask for nothing/,
    );
    await refuses(flags, ['--stages', '10s:5fps', '--rate', '3'], /--rate/);
    await refuses(flags, ['--stages', '10s:5fps', '--duration', '3s'], /--(duration|stages)/);
  });

  it('--duration alone is open-ended: no planned frames, as fast as the target reads for that long', () => {
    assert.deepEqual(synthPace({ duration: '20s' }, 100, 10), {
      frames: 0,
      openEnded: { durationMs: 20_000 },
    });
    assert.deepEqual(synthPace({ duration: '1m', frames: 500 }, 100, 500), {
      frames: 0,
      openEnded: { durationMs: 60_000, maxFrames: 500 },
    });
  });

  it('--duration, --rate and --frames: whichever ends first', () => {
    const rate = { perSecond: 5, unit: 'fps' } as const;
    assert.equal(synthPace({ duration: '20s', rate, frames: 30 }, 100, 30).frames, 30);
    assert.equal(synthPace({ duration: '20s', rate, frames: 300 }, 100, 300).frames, 100);
  });

  it('synth options: an open-ended run carries its duration and no frame count, nor a schedule', async () => {
    const options = synthOptions(await parse('--duration', '6s', '--records-per-frame', '200'));
    assert.deepEqual(options.openEnded, { durationMs: 6000 });
    assert.equal(options.workload.frames, 0);
    assert.equal(options.schedule, undefined);
    const capped = synthOptions(await parse('--duration', '6s', '--frames', '40'));
    assert.deepEqual(capped.openEnded, { durationMs: 6000, maxFrames: 40 });
    const paced = synthOptions(await parse('--duration', '6s', '--rate', '10'));
    assert.equal(paced.openEnded, undefined);
    assert.equal(paced.workload.frames, 60);
  });

  it('refuses an open-ended run with what needs a count up front, saying why and what to give', async () => {
    const open =
      (...argv: string[]) =>
      async () =>
        synthOptions(await parse('--duration', '6s', ...argv));
    await assert.rejects(
      open('--shard', '0/2', '--run-id', 'r1', '--target', 'http://127.0.0.1:9925', '--password', 'p'),
      /^Error: --duration 6s without --rate sends as many frames as the target reads, and --shard splits a known count into blocks .*: give --rate too/,
    );
    await assert.rejects(
      open('--mix', 'insert=70,update=30'),
      /--mix plans its updates and deletes over a known count/,
    );
    // A mix of inserts only is the default workload: nothing planned, nothing refused.
    assert.ok(synthOptions(await parse('--duration', '6s', '--mix', 'insert=1')).openEnded);
    await assert.rejects(
      open('--template', 'templates/products.yaml'),
      /--template\/--like records are planned per table for a known count/,
    );
  });

  it('synth options carry the schedule and the frame count; the sender is not also given the even rate', async () => {
    const options = synthOptions(await parse('--stages', '2s:0-1000rps', '--records-per-frame', '50'));
    assert.equal(options.workload.frames, 20);
    assert.equal(options.rate, undefined);
    assert.equal(options.schedule?.unit, 'rps');
  });
});
