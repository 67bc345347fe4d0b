/**
 * replay --dry-run against the real replay into one harperdb 4.7.29 node: for several flag combinations (--rate,
 * table filters, --from-frame, --loop, --max-gap, --speed, blob chunks, several connections) the dry run predicts
 * exactly the frames, records, bytes, blob chunks and loops the real run then sends, and the real run takes at least
 * the scheduled duration. A bad flag fails the dry run with the run's own message and exit code, touching no node.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../../src/common/errors.js';
import { nodeForFile, runCli } from '../helpers/harper.js';

const password = `dr-${randomBytes(9).toString('hex')}`;
const env = { HARPER_USER: 'admin', HARPER_PASSWORD: password };
const capture = (name: string) => fileURLToPath(new URL(`../../../captures/${name}`, import.meta.url));
const target = nodeForFile({}, { credentials: { user: 'admin', password } });

const replay = (...args: string[]) => runCli(['replay', ...args, '--json'], { env });

/** The flag combinations: each is a capture and the flags both runs get. */
const CASES: Array<[string, string[]]> = [
  ['catchup-40x500.hrcap', ['--rate', '40']],
  ['catchup-40x500.hrcap', ['--from-frame', '10', '--loop', '2', '--speed', '4x']],
  ['catchup-40x500.hrcap', ['--max-gap', '2ms', '--tables', 'dog', '--loop', '2']],
  ['blobs-12x50k.hrcap', ['--loop', '2']],
  ['proxy-three-databases.hrcap', ['--speed', 'max', '--rate', '10']],
  // After the case above: zoo.animal exists. Into a fresh target, 4.7.29 acked none of zoo's frames (every entry
  // excluded, zoo created with no table): 0 of 6 committed in 120 s, and the stream reconnected.
  ['proxy-three-databases.hrcap', ['--exclude-tables', 'animal', '--max-gap', '100ms']],
  // Load over time (issue 16): looped for a time at the captured pace or a rate, paced by transaction time.
  ['catchup-40x500.hrcap', ['--duration', '3s', '--speed', '0.1x']],
  ['catchup-40x500.hrcap', ['--duration', '2s', '--rate', '20']],
  ['catchup-40x500.hrcap', ['--pace-by', 'txn-time', '--speed', '2x']],
];

describe('replay --dry-run predicts the real replay', () => {
  for (const [name, flags] of CASES) {
    it(`${name} ${flags.join(' ')}: frames, records, bytes, blob chunks and loops equal; not faster than scheduled`, async () => {
      const file = capture(name);
      // The dry run touches no node: it plans while the real run sends (which only makes the real run slower).
      const [dry, real] = await Promise.all([
        replay(file, '--target', target().operationsUrl, '--dry-run', ...flags),
        replay(file, '--target', target().operationsUrl, ...flags),
      ]);
      assert.equal(dry.code, ExitCode.OK, dry.stderr);
      const planned = JSON.parse(dry.stdout);
      assert.equal(real.code, ExitCode.OK, real.stderr);
      const sent = JSON.parse(real.stdout);
      assert.equal(sent.committed.allFrames, true, sent.error);
      // A reconnect would re-send frames: then the totals could not match, and this says why.
      assert.equal(sent.sent.resentFrames, 0, 'no frame was sent twice');
      assert.deepEqual(
        {
          frames: planned.frames,
          records: planned.records,
          bytes: planned.bytes,
          blobs: planned.blobs,
          blobBytes: planned.blobBytes,
          loops: planned.loops,
        },
        {
          frames: sent.sent.frames,
          records: sent.sent.records,
          bytes: sent.sent.bytes,
          blobs: sent.sent.blobs,
          blobBytes: sent.sent.blobBytes,
          loops: sent.replay.loops,
        },
      );
      assert.equal(planned.scheduledDurationMs, sent.replay.scheduledDurationMs);
      assert.equal(planned.paceBy, sent.replay.paceBy);
      if (planned.scheduledDurationMs !== null)
        assert.ok(
          sent.timing.durationMs >= planned.scheduledDurationMs,
          `ran ${sent.timing.durationMs} ms, scheduled ${planned.scheduledDurationMs} ms`,
        );
    });
  }

  it('the blob case counts blob chunks; the filter case sends frames without the excluded entries', async () => {
    const blobs = JSON.parse((await replay(capture('blobs-12x50k.hrcap'), '--dry-run')).stdout);
    assert.ok(blobs.blobs >= 12 && blobs.blobBytes >= 12 * 50_000, JSON.stringify(blobs));
    const filtered = JSON.parse(
      (await replay(capture('proxy-three-databases.hrcap'), '--dry-run', '--exclude-tables', 'animal'))
        .stdout,
    );
    assert.deepEqual([filtered.frames, filtered.records], [17, 15]);
  });
});

describe('replay --dry-run runs the checks of the run', () => {
  const file = capture('catchup-40x500.hrcap');
  const failures: Array<[string, string[], RegExp]> = [
    ['a bad --threshold', ['--threshold', 'peakRss<<1'], /^--threshold "peakRss<<1": /],
    ['a zero duration', ['--ack-timeout', '0s'], /^--ack-timeout 0s: must be more than 0$/],
    ['--target without credentials', ['--target', 'http://127.0.0.1:9'], /^--target needs credentials/],
    ['--rate with --speed 4x', ['--rate', '5', '--speed', '4x'], /^--rate 5 spaces frames evenly/],
  ];
  for (const [what, flags, message] of failures) {
    it(`${what}: the dry run fails as the run does, with one line and the same code`, async () => {
      const runs = await Promise.all([
        runCli(['replay', file, '--dry-run', '--json', ...flags]),
        runCli(['replay', file, '--json', ...flags]),
      ]);
      const [dry, real] = runs.map((run) => ({ code: run.code, document: JSON.parse(run.stdout) }));
      assert.equal(dry!.code, ExitCode.USAGE);
      assert.deepEqual(dry, real);
      assert.match(dry!.document.error.message, message);
      assert.equal(dry!.document.error.message.split('\n').length, 1);
    });
  }
});
