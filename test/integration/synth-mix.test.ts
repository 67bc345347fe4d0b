/**
 * synth --mix against one real harperdb 4.7.29 (shared by the tests of this file): the tool's deletes delete, its
 * updates replace, and the final state on the target is the one the plan computes — checked by the tool's own
 * verification and, independently, by reading every id back here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/common/errors.js';
import type { FixedRecordEncoder } from '../../src/workload/fixed-record-encoder.js';
import { parseKeyDistribution } from '../../src/workload/key-distribution.js';
import { parseOperationMix } from '../../src/workload/operation-mix.js';
import { OP_DELETE, OP_UPDATE, OperationPlan } from '../../src/workload/operation-plan.js';
import { SyntheticWorkload } from '../../src/workload/synthetic.js';
import { declareAttributes, nodeForFile, readRecordsCbor, runCli } from '../helpers/harper.js';

const node = nodeForFile();

const FRAMES = 40;
const RECORDS_PER_FRAME = 150;
const SEED = 5;

function synth(table: string, ...extra: string[]) {
  return runCli(
    [
      'synth',
      '--target',
      node().operationsUrl,
      '--table',
      table,
      '--frames',
      String(FRAMES),
      '--records-per-frame',
      String(RECORDS_PER_FRAME),
      '--record-size',
      '200',
      '--seed',
      String(SEED),
      '--json',
      ...extra,
    ],
    { env: { HARPER_USER: node().credentials.user, HARPER_PASSWORD: node().credentials.password } },
  );
}

/** The workload the run sent, rebuilt from its flags (deterministic from the seed). */
function rebuilt(table: string, mix: string, keys: string): SyntheticWorkload {
  return new SyntheticWorkload({
    frames: FRAMES,
    recordsPerFrame: RECORDS_PER_FRAME,
    recordSize: 200,
    blobSize: 0,
    seed: SEED,
    mix: parseOperationMix(mix),
    keys: parseKeyDistribution(keys),
    tableName: table,
    originName: 'rebuilt',
    baseVersion: 0,
    baseSequence: 0,
  });
}

describe('synth --mix into a real harperdb 4.7.29', () => {
  it('--mix insert=70,update=25,delete=5 --keys zipf:1.1: the count and every id’s value equal the expected state', async () => {
    const run = await synth('mixed', '--mix', 'insert=70,update=25,delete=5', '--keys', 'zipf:1.1');
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.outcome, 'complete', result.error);
    const workload = rebuilt('mixed', 'insert=70,update=25,delete=5', 'zipf:1.1');
    const state = workload.plan.finalState();
    const { planned, sent } = workload.plan.counts();
    assert.deepEqual(result.workload.operations, {
      mix: 'insert=70,update=25,delete=5',
      keys: 'zipf:1.1',
      planned,
      sent,
    });
    assert.ok(sent.update > 1000 && sent.delete > 150, `a real mix: ${JSON.stringify(sent)}`);

    // Frames that rewrite ids of a frame still in flight were held for its ack, and the result says for how long.
    const waits = result.dependencyWaits;
    const dependent = Array.from({ length: FRAMES }, (_, i) => workload.dependsOn(i)).filter(
      (d) => d !== undefined,
    ).length;
    assert.ok(
      waits.frames > 0 && waits.frames <= dependent,
      `${waits.frames} of ${dependent} dependent frames held`,
    );
    assert.ok(
      waits.totalMs > 0 && waits.maxMs <= waits.totalMs && waits.p99Ms <= waits.maxMs,
      JSON.stringify(waits),
    );
    assert.equal(waits.uncommitted, 0);

    // The tool's verification: the count of present ids and ≥ 100 sampled ids, deleted ones among them.
    assert.equal(result.verify.ok, true);
    assert.equal(result.verify.expectedRecords, state.presentCount);
    assert.equal(result.verify.targetRecords, state.presentCount);
    assert.ok(state.presentCount < sent.insert, 'deletes removed records');
    const sample = result.verify.sample;
    assert.ok(sample.checked >= 100, `${sample.checked} ids sampled`);
    assert.ok(
      sample.present > 0 && sample.present < sample.checked,
      `present ${sample.present} of ${sample.checked}`,
    );
    assert.equal(sample.mismatches, 0, sample.firstMismatches.join('; '));

    // The tool declared the attributes it read, unindexed: later writes to the table pay no index for them.
    const declared = (await node().client().describeTable('data', 'mixed')).attributes;
    for (const name of ['generation', 'payload']) {
      const attribute = declared.find((a) => a.attribute === name);
      assert.ok(attribute, `${name} declared`);
      assert.notEqual((attribute as { indexed?: boolean }).indexed, true, `${name} not indexed`);
    }

    // Independently: every id the run ever inserted, read back and compared with the plan.
    const ids = Array.from({ length: state.maxId }, (_, i) => i + 1);
    const rows = await node().client().searchById('data', 'mixed', ids, ['id', 'generation', 'payload']);
    // 4.7.29 answers a deleted id with {id: null, …}: no record.
    const byId = new Map(rows.filter((row) => row.id !== null).map((row) => [row.id as number, row]));
    assert.equal(byId.size, state.presentCount);
    let updated = 0;
    for (const id of ids) {
      const generation = state.generationOf(id);
      if (generation === undefined) {
        assert.equal(byId.get(id), undefined, `id ${id} was deleted`);
        continue;
      }
      if (generation > 0) updated++;
      const { payload } = workload.expectedRecord(id, generation);
      assert.deepEqual(byId.get(id), { id, generation, payload }, `id ${id}`);
    }
    assert.ok(updated > 100, `${updated} ids hold an updated version`);
  });

  it('a pure-insert run holds no frame: its dependency waits are zeros', async () => {
    const run = await synth('inserts');
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.committed.frames, FRAMES);
    assert.deepEqual(result.dependencyWaits, {
      frames: 0,
      totalMs: 0,
      maxMs: 0,
      p99Ms: 0,
      nudges: 0,
      uncommitted: 0,
      wait: 'on',
      inFlight: 0,
    });
  });

  it('a delete entry deletes and an update replaces: the ids the plan touched last, read back', async () => {
    const run = await synth('touched', '--mix', 'update=60,delete=40', '--keys', 'uniform');
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.verify.ok, true, JSON.stringify(result.verify));
    // The last frame's own deletes and updates, each applied to a record that existed before it.
    const plan = new OperationPlan({
      seed: SEED,
      frames: FRAMES,
      recordsPerFrame: RECORDS_PER_FRAME,
      mix: parseOperationMix('update=60,delete=40'),
      keys: parseKeyDistribution('uniform'),
    });
    const last = plan.frame(FRAMES - 1);
    const deleted = [...last.ids].filter((_, j) => last.kinds[j] === OP_DELETE);
    const updated = [...last.ids].filter((_, j) => last.kinds[j] === OP_UPDATE);
    assert.ok(
      deleted.length > 10 && updated.length > 10,
      `${deleted.length} deletes, ${updated.length} updates`,
    );
    const gone = await node().client().searchById('data', 'touched', deleted, ['id']);
    assert.deepEqual(
      gone.filter((row) => row.id !== null),
      [],
      'no deleted id is found (4.7.29 answers each with {id: null})',
    );
    const rows = await node().client().searchById('data', 'touched', updated, ['id', 'generation']);
    const generations = new Map(rows.map((row) => [row.id as number, row.generation as number]));
    for (const [j, id] of last.ids.entries()) {
      if (last.kinds[j] === OP_UPDATE) assert.equal(generations.get(id), last.generations[j], `id ${id}`);
    }
  });

  // Before a frame waited for the ack of the frame whose ids it rewrites, 4.7.29 acked every frame of this run
  // and kept 31–35 of 51 records (whole frames dropped): src/session/dependency-wait.ts.
  it('a mix with blobs: every present id holds its last version and its last blob', async () => {
    const args = [
      '--frames',
      '8',
      '--records-per-frame',
      '10',
      '--seed',
      '9',
      '--blob-size',
      '2KB',
      '--record-size',
      '256',
    ];
    const run = await runCli(
      [
        'synth',
        '--target',
        node().operationsUrl,
        '--table',
        'blobmix',
        '--mix',
        'insert=60,update=40',
        '--blobs-per-frame',
        '3',
        '--json',
        ...args,
      ],
      { env: { HARPER_USER: node().credentials.user, HARPER_PASSWORD: node().credentials.password } },
    );
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    const workload = new SyntheticWorkload({
      frames: 8,
      recordsPerFrame: 10,
      recordSize: 256,
      blobSize: 2048,
      blobsPerFrame: 3,
      seed: 9,
      mix: parseOperationMix('insert=60,update=40'),
      tableName: 'blobmix',
      originName: 'rebuilt',
      baseVersion: 0,
      baseSequence: 0,
    });
    const state = workload.plan.finalState();
    assert.equal(result.verify.targetRecords, state.presentCount, JSON.stringify(result.verify));
    assert.equal(result.verify.ok, true);
    const ids = Array.from({ length: state.maxId }, (_, i) => i + 1);
    await declareAttributes(node().client(), 'data', 'blobmix', ['generation', 'blob']);
    const rows = await readRecordsCbor(node(), 'data', 'blobmix', ids, ['id', 'generation', 'blob']);
    const byId = new Map(rows.map((row) => [row.id as number, row]));
    let blobs = 0;
    let updatedBlobs = 0;
    for (const id of ids) {
      const generation = state.generationOf(id)!;
      assert.equal(byId.get(id)?.generation, generation, `id ${id}`);
      const blob = (workload.encoder as FixedRecordEncoder).blobOf(id, generation);
      if (!blob) continue;
      blobs++;
      if (generation > 0) updatedBlobs++;
      const content = byId.get(id)?.blob;
      assert.ok(content instanceof Uint8Array, `id ${id} carries its blob`);
      assert.ok(
        Buffer.from(content).equals(workload.blobContent(id, generation)),
        `id ${id}: blob of generation ${generation}`,
      );
    }
    assert.ok(blobs >= 10 && updatedBlobs > 0, `${blobs} blobs, ${updatedBlobs} rewritten by an update`);
  });

  it('refuses a malformed --mix or --keys in one line, exit 2, before touching the node', async () => {
    for (const [args, message] of [
      [['--mix', 'insert=70,upsert=30'], /--mix insert=70,upsert=30: unknown operation "upsert"/],
      [['--mix', 'insert=0'], /the weights sum to 0/],
      [['--mix', 'update=1', '--keys', 'zipf'], /--keys zipf: zipf needs an exponent/],
      [['--keys', 'hot:10%'], /--keys hot:10% chooses the ids of updates and deletes: give a --mix/],
    ] as const) {
      const run = await synth('refused', ...args);
      assert.equal(run.code, ExitCode.USAGE, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(
        run.stderr
          .trim()
          .split('\n')
          .filter((line) => line.startsWith('Error:')).length,
        1,
        run.stderr,
      );
    }
  });
});
