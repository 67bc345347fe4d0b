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
    assert.throws(() => synthPace({ duration: '10s' }, 1, 1), /--duration 10s needs --rate/);
    assert.throws(
      () => synthPace({ stages: '10s:0rps' }, 1, 1),
      /--stages "10s:0rps": the stages ask for nothing/,
    );
    await refuses(flags, ['--duration', '10s', '--frames', '3'], /--frames/);
    await refuses(flags, ['--stages', '10s:5fps', '--rate', '3'], /--rate/);
    await refuses(flags, ['--stages', '10s:5fps', '--duration', '3s'], /--(duration|stages)/);
  });

  it('synth options carry the schedule and the frame count; the sender is not also given the even rate', async () => {
    const options = synthOptions(await parse('--stages', '2s:0-1000rps', '--records-per-frame', '50'));
    assert.equal(options.workload.frames, 20);
    assert.equal(options.rate, undefined);
    assert.equal(options.schedule?.unit, 'rps');
  });
});
