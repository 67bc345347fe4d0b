/**
 * Peer mode on a real two-node cluster (harperdb 4.7.29 A and B linked with add_node): B learns about the tool
 * through the replicated hdb_nodes table and dials it too; the tool answers B but loads only A, names B in the
 * report, and leaves no hdb_nodes row on either member.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ExitCode } from '../../src/run/errors.js';
import type { EmbeddedNode } from '../../src/target/embedded-node.js';
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

describe('peer mode in a cluster', () => {
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

    // remove_node on A reaches B through the replicated hdb_nodes table.
    for (let i = 0; i < 50 && ((await toolRows(a)).length || (await toolRows(b)).length); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(await toolRows(a), [], 'A lists no tool');
    assert.deepEqual(await toolRows(b), [], 'B lists no tool');
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
    for (let i = 0; i < 50 && ((await toolRows(a)).length || (await toolRows(b)).length); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(await toolRows(a), [], 'A lists no tool');
    assert.deepEqual(await toolRows(b), [], 'B lists no tool');
  });
});
