/**
 * `report --merge` through the real CLI (no node started: the shard files are a real run's samples split by the
 * shard rule): a directory of shards folds into the single run's totals, --json validates against its schema, the
 * HTML shows the shards, and a missing or killed shard exits 9 naming it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCode } from '../../src/common/errors.js';
import type { RunEvent } from '../../src/events/schema.js';
import { runCli } from '../helpers/harper.js';
import { readRun, split, toNdjson } from '../helpers/shard-split.js';

let dir: string;
const RUN = readRun();
const SHARDS = split(RUN, 3, 'ci-7');
const PEER = (RUN.find((e) => e.type === 'run-meta') as Extract<RunEvent, { type: 'run-meta' }>).meta
  .toolNodeName;

/** A directory holding these shard files (shard-i.ndjson). */
function shardDir(name: string, shards: Array<RunEvent[] | undefined>): string {
  const path = join(dir, name);
  mkdirSync(path);
  shards.forEach((events, i) => {
    if (events) writeFileSync(join(path, `shard-${i}.ndjson`), toNdjson(events));
  });
  return path;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'harper-replay-merge-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('report --merge', () => {
  it('a directory of 3 shards: one result with the single run totals, per-shard figures, --json valid', async () => {
    const results = shardDir('complete', SHARDS);
    writeFileSync(join(dir, 'single.ndjson'), toNdjson(RUN));
    const run = await runCli(['report', '--merge', results, '--json']);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const doc = JSON.parse(run.stdout);
    const alone = JSON.parse((await runCli(['report', join(dir, 'single.ndjson'), '--json'])).stdout);
    assert.deepEqual(doc.committed, alone.committed);
    assert.deepEqual(doc.sent, alone.sent);
    assert.equal(doc.merge.runId, 'ci-7');
    assert.equal(doc.merge.complete, true);
    assert.deepEqual(
      doc.merge.shards.map((s: { index: number; sentRecords: number }) => [s.index, s.sentRecords]),
      [
        [0, 200],
        [1, 200],
        [2, 200],
      ],
    );
  });

  it('text and HTML name every shard', async () => {
    const results = join(dir, 'complete');
    const html = join(dir, 'merged.html');
    const run = await runCli(['report', '--merge', results, '--html', html]);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    assert.match(run.stdout, /Shards \(report --merge\) — run ci-7: 3 of 3 folded, complete/);
    for (const index of [0, 1, 2]) assert.match(run.stdout, new RegExp(`shard ${index} .*200 sent`));
    assert.match(readFileSync(html, 'utf8'), /shard 2 .*200 sent/);
  });

  it('a missing shard: exit 9, the missing index named, thresholds not evaluated', async () => {
    const results = shardDir('missing', [SHARDS[0], undefined, SHARDS[2]]);
    const run = await runCli(['report', '--merge', results, '--threshold', 'committedRecords>=1', '--json']);
    assert.equal(run.code, ExitCode.SHARDS_INCOMPLETE, run.stderr);
    assert.match(run.stderr, /^Error: incomplete merge: missing shard 1 of 3$/m);
    const doc = JSON.parse(run.stdout);
    assert.equal(doc.error.kind, 'shards-incomplete');
    assert.equal(doc.outcome, 'incomplete');
    assert.equal(doc.thresholds[0].ok, null);
  });

  it("a shard killed mid-run: exit 9 and the dead shard's peer registration named", async () => {
    const killed = SHARDS[1]!.slice(0, SHARDS[1]!.findIndex((e) => e.type === 'frame-committed') + 1);
    const files = [0, 1, 2].map((i) => join(dir, `killed-${i}.ndjson`));
    writeFileSync(files[0]!, toNdjson(SHARDS[0]!));
    writeFileSync(files[1]!, toNdjson(killed));
    writeFileSync(files[2]!, toNdjson(SHARDS[2]!));
    const run = await runCli(['report', '--merge', ...files]);
    assert.equal(run.code, ExitCode.SHARDS_INCOMPLETE, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(`shard 1 \\(.*killed-1.ndjson\\) ended without its run-end.*${PEER}`),
    );
    assert.match(run.stdout, /INCOMPLETE/);
  });

  it('files of another run or not shards at all: exit 9, or 6 for a directory without samples', async () => {
    const plain = join(dir, 'single.ndjson');
    const run = await runCli(['report', '--merge', plain]);
    assert.equal(run.code, ExitCode.SHARDS_INCOMPLETE, run.stderr);
    assert.match(run.stderr, /^Error: no shard to merge: .*single.ndjson: not a shard/m);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const none = await runCli(['report', '--merge', empty, '--json']);
    assert.equal(none.code, ExitCode.BAD_INPUT, none.stderr);
    assert.match(none.stderr, /no \*\.ndjson file in this directory/);
  });
});
