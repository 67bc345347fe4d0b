/**
 * A real two-node cluster (harperdb 4.7.29 A and B linked with add_node). Peer mode: B learns about the tool
 * through the replicated hdb_nodes table and dials it too; the tool answers B but loads only A, names B in the
 * report, and leaves no hdb_nodes row on either member. --fan-out loads both (peer and push), --databases many
 * databases at once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ExitCode } from '../../src/common/errors.js';
import type { EmbeddedNode } from '../../src/harper/embedded-node.js';
import { openPage } from '../helpers/browser.js';
import { hdbNodeNames, runCli, startNode, whenStreaming } from '../helpers/harper.js';

const password = `cl-${randomBytes(9).toString('hex')}`;
const credentials = { user: 'admin', password };
let a: EmbeddedNode;
let b: EmbeddedNode;

before(async () => {
  [a, b] = await Promise.all([startNode({}, { credentials }), startNode({}, { credentials })]);
  const authorization = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  await b.client().addNode({ url: a.replicationUrl, authorization, retain_authorization: true });
  // Wait until the link is up both ways (each lists the other).
  for (let i = 0; i < 100; i++) {
    const [fromA, fromB] = await Promise.all([a.client().clusterStatus(), b.client().clusterStatus()]);
    if (
      fromA.connections.some((c) => c.name === b.nodeName) &&
      fromB.connections.some((c) => c.name === a.nodeName)
    )
      break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

const toolRows = async (node: EmbeddedNode) =>
  (await hdbNodeNames(node.client())).filter((n) => n.startsWith('harper-replay-'));

/** remove_node on A reaches B through the replicated hdb_nodes table (give it a moment). */
async function assertNoMemberListsTheTool(): Promise<void> {
  for (let i = 0; i < 50 && ((await toolRows(a)).length || (await toolRows(b)).length); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(await toolRows(a), [], 'A lists no tool');
  assert.deepEqual(await toolRows(b), [], 'B lists no tool');
}

describe('a two-node cluster', () => {
  it('loads the named target only, names the other member, and cleans up everywhere', async () => {
    const run = await runCli(
      [
        'synth',
        '--target',
        a.operationsUrl,
        '--table',
        'clustered',
        '--frames',
        '4',
        '--records-per-frame',
        '500',
        '--json',
      ],
      { env: { HARPER_USER: 'admin', HARPER_PASSWORD: password } },
    );
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.verify.targetRecords, 2000);
    assert.equal(result.target.nodeName, a.nodeName);
    assert.deepEqual(
      result.cluster.otherMembers,
      [b.nodeName],
      'B dialed the tool and was answered, not loaded',
    );

    // B never got the tool's records from the tool; A does not forward writes of an origin B is not subscribed
    // to through A (B subscribes to the tool directly, and the tool sent it nothing).
    const onB = await b
      .client()
      .sql<{ c: number }>('SELECT COUNT(*) AS c FROM data.clustered')
      .catch(() => [{ c: 0 }]);
    assert.equal(Number(onB[0]?.c ?? 0), 0, 'B holds none of the records');

    await assertNoMemberListsTheTool();
  });

  it('an interrupted run leaves no hdb_nodes row on any member', async () => {
    const run = await runCli(
      [
        'synth',
        '--target',
        a.operationsUrl,
        '--table',
        'interrupted',
        '--frames',
        '400',
        '--records-per-frame',
        '200',
        '--rate',
        '20',
      ],
      {
        env: { HARPER_USER: 'admin', HARPER_PASSWORD: password },
        onStart: whenStreaming(1500, (child) => child.kill('SIGINT')).onStart,
      },
    );
    assert.equal(run.code, ExitCode.INTERRUPTED, run.stderr);
    await assertNoMemberListsTheTool();
  });

  it('--fan-out streams to A and B directly: per-member acks, memory and stalls, cluster totals, no rows left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harper-replay-fanout-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const samples = join(dir, 'run.ndjson');
    const run = await runCli(
      [
        'synth',
        '--target',
        a.operationsUrl,
        '--fan-out',
        '--member',
        b.operationsUrl,
        '--table',
        'fanned',
        '--frames',
        '6',
        '--records-per-frame',
        '500',
        '--samples',
        samples,
        '--json',
      ],
      { env: { HARPER_USER: 'admin', HARPER_PASSWORD: password } },
    );
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.doesNotMatch(run.stderr, /cannot write samples/);
    const rebuilt = await runCli(['report', samples, '--json']);
    assert.deepEqual(
      JSON.parse(rebuilt.stdout),
      result,
      `report rebuilds the per-member breakdown exactly (report stderr: ${rebuilt.stderr}; run stderr: ${run.stderr.slice(-2000)})`,
    );
    const html = join(dir, 'run.html');
    const drawn = await runCli(['report', samples, '--html', html]);
    assert.equal(drawn.code, ExitCode.OK, drawn.stderr);
    const page = await openPage(pathToFileURL(html).href);
    assert.deepEqual(page.errors, [], 'the page logs no error');
    assert.equal(
      page.chartsDrawn,
      '6',
      "the target's 3 charts, its replication links (cluster_status), commits per member, B's memory",
    );
    for (const inked of page.inkedPixels)
      assert.ok(inked > 1000, `every chart has ink (${page.inkedPixels.join(', ')})`);
    assert.match(
      readFileSync(html, 'utf8'),
      new RegExp(`Cluster members \\(--fan-out; the charts above are the target's, ${a.nodeName}`),
    );
    const text = await runCli(['report', samples]);
    assert.match(text.stdout, /members \(--fan-out: 2 loaded\)/);
    assert.match(text.stdout, /cluster total +6,000 records committed/);
    assert.deepEqual(result.cluster.otherMembers, [], 'nobody was left out');
    assert.deepEqual(
      result.members.map((m: { nodeName: string; sampled: boolean }) => [m.nodeName, m.sampled]),
      [
        [a.nodeName, true],
        [b.nodeName, true],
      ],
    );
    for (const member of result.members) {
      assert.equal(member.committed.records, 3000, `${member.nodeName} acknowledged every record`);
      assert.ok(member.committed.ackLatencyMs.p99 > 0, `${member.nodeName} ack latencies`);
      assert.ok(
        member.memory.peakRss > 100 * 2 ** 20,
        `${member.nodeName} peak RSS ${member.memory.peakRss}`,
      );
      assert.equal(typeof member.pauses.count, 'number');
      assert.deepEqual(member.streams, [`${member.nodeName}/data`]);
    }
    assert.notEqual(
      result.members[0].memory.peakRss,
      result.members[1].memory.peakRss,
      'each member is sampled on its own',
    );
    assert.equal(result.streams.length, 2);
    for (const stream of result.streams) {
      assert.equal(stream.committed.frames, 6);
      assert.deepEqual(stream.verify, { expectedRecords: 3000, targetRecords: 3000, ok: true });
    }
    assert.equal(result.cluster.totals.members, 2);
    assert.equal(result.cluster.totals.committedRecords, 6000);
    assert.equal(result.verify.targetRecords, 6000);
    const onB = await b.client().sql<{ c: number }>('SELECT COUNT(*) AS c FROM data.fanned');
    assert.equal(Number(onB[0]?.c), 3000, 'B holds every record');
    await assertNoMemberListsTheTool();
  });

  it('--fan-out --via push dials A and B at the replication URLs A reports; each member acks its own stream', async () => {
    const run = await runCli(
      [
        'synth',
        '--target',
        a.operationsUrl,
        '--via',
        'push',
        '--fan-out',
        '--member',
        b.operationsUrl,
        '--table',
        'pushed',
        '--frames',
        '4',
        '--records-per-frame',
        '500',
        '--json',
      ],
      { env: { HARPER_USER: 'admin', HARPER_PASSWORD: password } },
    );
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.target.via, 'push');
    assert.deepEqual(
      result.streams.map((s: { stream: string; verify: unknown }) => [s.stream, s.verify]),
      [a, b].map((node) => [
        `${node.nodeName}/data`,
        { expectedRecords: 2000, targetRecords: 2000, ok: true },
      ]),
    );
    for (const member of result.members) {
      assert.equal(member.committed.records, 2000, `${member.nodeName} acknowledged every record`);
      assert.ok(member.memory.peakRss > 0, `${member.nodeName} sampled`);
    }
    assert.equal(result.cluster.totals.committedRecords, 4000);
    assert.match(run.stderr, new RegExp(`cluster member ${b.nodeName}: sampled at ${b.operationsUrl}`));
    await assertNoMemberListsTheTool();
  });

  it('--databases 4 drives four catch-up streams into A at once; every record lands in each database', async () => {
    const run = await runCli(
      [
        'synth',
        '--target',
        a.operationsUrl,
        '--database',
        'multi',
        '--databases',
        '4',
        '--frames',
        '5',
        '--records-per-frame',
        '400',
        '--json',
      ],
      { env: { HARPER_USER: 'admin', HARPER_PASSWORD: password } },
    );
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    const names = ['multi_1', 'multi_2', 'multi_3', 'multi_4'];
    assert.deepEqual(result.target.databases, names);
    assert.deepEqual(
      result.streams.map((s: { stream: string }) => s.stream),
      names.map((db) => `${a.nodeName}/${db}`),
    );
    for (const stream of result.streams) {
      assert.equal(stream.committed.frames, 5, stream.stream);
      assert.deepEqual(stream.verify, { expectedRecords: 2000, targetRecords: 2000, ok: true });
    }
    for (const db of names) {
      const rows = await a.client().sql<{ c: number }>(`SELECT COUNT(*) AS c FROM ${db}.harper_replay_synth`);
      assert.equal(Number(rows[0]?.c), 2000, `${db} holds every record`);
    }
    assert.equal(result.committed.records, 8000);
    assert.equal(result.verify.targetRecords, 8000);
    // B dialed the tool for the new databases too and was left alone.
    assert.deepEqual(result.cluster.otherMembers, [b.nodeName]);
    await assertNoMemberListsTheTool();
  });

  it('an interrupted --fan-out run leaves no hdb_nodes row on any member', async () => {
    const run = await runCli(
      [
        'synth',
        '--target',
        a.operationsUrl,
        '--fan-out',
        '--member',
        b.operationsUrl,
        '--table',
        'fanned_interrupted',
        '--frames',
        '400',
        '--records-per-frame',
        '200',
        '--rate',
        '20',
        '--json',
      ],
      {
        env: { HARPER_USER: 'admin', HARPER_PASSWORD: password },
        onStart: whenStreaming(1500, (child) => child.kill('SIGINT')).onStart,
      },
    );
    assert.equal(run.code, ExitCode.INTERRUPTED, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.outcome, 'interrupted');
    assert.equal(result.members.length, 2);
    for (const stream of result.streams) assert.ok(stream.sent.frames > 0, `${stream.stream} was streaming`);
    await assertNoMemberListsTheTool();
  });
});
