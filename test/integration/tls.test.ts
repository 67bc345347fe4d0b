/**
 * Dialing over TLS against one real harperdb 4.7.29 node that, like a default install, has no plain replication
 * port: replication.securePort only (wss, the node's own certificate), and its operations API on both http and
 * https. Capture, synth --via push and replay --via push over wss with --ca (the node's CA from list_certificates)
 * or --ca-from-target, Basic credentials or a bearer token, --insecure (works, warns); wrong CA, wrong host name,
 * wrong password and a client certificate the node does not accept each give their one-line error and exit code;
 * and no password, token, Basic header or private key anywhere in what those runs wrote.
 */
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { CaptureReader } from '../../src/capture/reader.js';
import { jsonDocument } from '../../src/cli/json-contract.js';
import { ExitCode } from '../../src/common/errors.js';
import type { EmbeddedNode } from '../../src/harper/embedded-node.js';
import { freeLoopbackPorts } from '../../src/harper/free-port.js';
import { INSECURE_WARNING } from '../../src/net/tls.js';
import { createRunCa, issueListenerCertificate } from '../../src/session/peer-pki.js';
import { type CliRun, runCli, startNode } from '../helpers/harper.js';

const CAPTURE = new URL('../../../captures/catchup-40x500.hrcap', import.meta.url).pathname;
const password = `tls-${randomBytes(9).toString('hex')}`;
const credentials = { user: 'admin', password };
const env = { HARPER_USER: 'admin', HARPER_PASSWORD: password };
let node: EmbeddedNode;
let httpsOps: string;
let dir: string;
let token: string;
let nodeCert: X509Certificate;
let caCert: X509Certificate;
/** Everything the CLI printed in this file's runs (the secrets check reads them all). */
const outputs: string[] = [];
/** Files the runs wrote (captures, samples, HTML); inputs (keys, CAs) are not among them. */
const written: string[] = [];
const file = (name: string) => join(dir, name);
const out = (name: string) => {
  written.push(file(name));
  return file(name);
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'harper-replay-tls-'));
  const [opsTlsPort] = await freeLoopbackPorts(1);
  node = await startNode(
    { OPERATIONSAPI_NETWORK_SECUREPORT: `127.0.0.1:${opsTlsPort}` },
    { credentials, tls: true },
  );
  httpsOps = `https://127.0.0.1:${opsTlsPort}`;
  const client = node.client();
  const certificates = await client.listCertificates();
  const ca = certificates.find((c) => c.is_authority === true);
  const leaf = certificates.find((c) => c.is_authority !== true && c.uses?.includes('replication'));
  assert.ok(ca && leaf, 'list_certificates lists the CA and the replication certificate');
  writeFileSync(file('node-ca.pem'), ca.certificate);
  caCert = new X509Certificate(ca.certificate);
  nodeCert = new X509Certificate(leaf.certificate);
  // A CA the node does not know, and a client certificate that CA issued (CN=tool-peer).
  const wrong = createRunCa('wrong');
  writeFileSync(file('wrong.pem'), wrong.cert);
  writeFileSync(file('wrong.key'), wrong.key);
  const own = createRunCa('tool-test-CA');
  writeFileSync(file('own-ca.pem'), own.cert);
  writeFileSync(file('own-ca.key'), own.key);
  const clientCert = issueListenerCertificate(own, 'tool-peer', ['127.0.0.1']);
  writeFileSync(file('client.pem'), clientCert.cert);
  writeFileSync(file('client.key'), clientCert.key);
  // Its own database: a full copy of it holds these 25 records only (synth loads tables into data).
  await client.createTable('pets', 'dog', 'id', [
    { name: 'id', type: 'ID' },
    { name: 'name', type: 'String' },
  ]);
  await client.call({
    operation: 'insert',
    database: 'pets',
    table: 'dog',
    records: Array.from({ length: 25 }, (_, i) => ({ id: `d${i}`, name: `dog ${i}` })),
  });
  ({ operation_token: token } = await client.call<{ operation_token: string }>({
    operation: 'create_authentication_tokens',
    username: credentials.user,
    password,
  }));
});

after(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[], extraEnv: Record<string, string> = env): Promise<CliRun> {
  const run = await runCli(args, { env: extraEnv });
  outputs.push(run.stdout, run.stderr);
  return run;
}

/** Exactly one error line on stderr, matching; no stack trace. */
function assertOneLineError(stderr: string, pattern: RegExp): void {
  const errorLines = stderr.split('\n').filter((line) => /error/i.test(line));
  assert.equal(errorLines.length, 1, `exactly one error line in:\n${stderr}`);
  assert.match(errorLines[0]!, pattern);
  assert.doesNotMatch(stderr, /^\s+at /m, `no stack trace in:\n${stderr}`);
}

const pushSynth = (target: string, name: string) => [
  'synth',
  '--target',
  target,
  '--via',
  'push',
  '--frames',
  '4',
  '--records-per-frame',
  '250',
  '--table',
  name,
  '--no-progress',
  '--json',
];

describe('TLS: a node with replication.securePort only', () => {
  it('the embedded node serves replication over wss only', () => {
    assert.match(node.replicationUrl, /^wss:\/\/127\.0\.0\.1:\d+$/);
  });

  it('capture over wss with --ca (its own CA from list_certificates) and Basic credentials', async () => {
    const capture = out('basic.hrcap');
    const run = await cli([
      'capture',
      '--source',
      node.operationsUrl,
      '--ca',
      file('node-ca.pem'),
      '--database',
      'pets',
      '--since',
      '0',
      '--until-idle',
      '2s',
      '--out',
      capture,
      '--json',
    ]);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.records, 25);
    assert.equal(result.source.url, `${node.replicationUrl}/`);
    assert.deepEqual(result.tls, {
      used: true,
      subject: nodeCert.subject.replace(/\n/g, ', '),
      fingerprint256: nodeCert.fingerprint256,
    });
    const reader = await CaptureReader.open(capture);
    try {
      assert.deepEqual(reader.header.tls, result.tls, 'the header records TLS, subject and fingerprint only');
    } finally {
      await reader.close();
    }
  });

  it('capture with --ca-from-target: reads the CA over the operations API and says which', async () => {
    const run = await cli([
      'capture',
      '--source',
      node.operationsUrl,
      '--ca-from-target',
      '--database',
      'pets',
      '--since',
      '0',
      '--until-idle',
      '2s',
      '--out',
      out('from-target.hrcap'),
      '--json',
    ]);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    assert.equal(JSON.parse(run.stdout).records, 25);
    assert.match(run.stderr, new RegExp(`trusting CA .*over plain http.*SHA-256 ${caCert.fingerprint256}`));
  });

  it('synth --via push over wss with --ca, a client certificate the node ignores, and every output file', async () => {
    const run = await cli([
      ...pushSynth(node.operationsUrl, 'synth_ca'),
      '--ca',
      file('node-ca.pem'),
      '--cert',
      file('client.pem'),
      '--key',
      file('client.key'),
      '--samples',
      out('synth.ndjson'),
      '--html',
      out('synth.html'),
    ]);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.target.via, 'push');
    assert.equal(result.committed.allFrames, true);
    assert.equal(result.verify.ok, true);
    assert.equal(result.verify.targetRecords, 1000);
    assert.equal(result.target.replicationUrl, node.replicationUrl);
  });

  it('replay --via push of a capture over wss with --ca', async () => {
    const run = await cli([
      'replay',
      CAPTURE,
      '--target',
      node.operationsUrl,
      '--via',
      'push',
      '--ca',
      file('node-ca.pem'),
      '--speed',
      'max',
      '--no-progress',
      '--json',
      '--samples',
      out('replay.ndjson'),
      '--html',
      out('replay.html'),
    ]);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.committed.allFrames, true, result.error);
    // What the capture leaves behind: its puts minus its deletes, key by key.
    const decoded = await runCli(['inspect', CAPTURE, '--decode']);
    const keys = new Set<string>();
    for (const line of decoded.stdout.trim().split('\n')) {
      const entry = JSON.parse(line) as { type: string; key: string };
      if (entry.type === 'delete') keys.delete(String(entry.key));
      else keys.add(String(entry.key));
    }
    // Counted with SQL: describe_table's record_count lagged the deletes now and then (20,000 for 19,998).
    const client = node.client();
    const count = async () => (await client.sql<{ n: number }>('SELECT COUNT(*) AS n FROM kennel.dog'))[0]?.n;
    let landed = await count();
    for (let i = 0; i < 20 && landed !== keys.size; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      landed = await count();
    }
    assert.equal(landed, keys.size, 'every record of the capture landed, the deleted ones gone');
  });

  it('bearer token: the operations API over https with --ca and the replication socket', async () => {
    const run = await cli([...pushSynth(httpsOps, 'synth_token'), '--ca', file('node-ca.pem')], {
      HARPER_TOKEN: token,
    });
    assert.equal(run.code, ExitCode.OK, run.stderr);
    assert.equal(JSON.parse(run.stdout).verify.ok, true);
    const capture = await cli(
      [
        'capture',
        '--source',
        node.replicationUrl,
        '--ca',
        file('node-ca.pem'),
        '--token',
        token,
        '--database',
        'pets',
        '--since',
        '0',
        '--until-idle',
        '2s',
        '--out',
        out('token.hrcap'),
        '--json',
      ],
      {},
    );
    assert.equal(capture.code, ExitCode.OK, capture.stderr);
    assert.equal(JSON.parse(capture.stdout).records, 25);
  });

  it('--insecure works over https and wss, and warns once on stderr and in the result', async () => {
    const run = await cli([...pushSynth(httpsOps, 'synth_insecure'), '--insecure']);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    assert.equal(run.stderr.split(INSECURE_WARNING).length - 1, 1, run.stderr);
    assert.match(run.stderr, /^warning: --insecure: the node's TLS certificate is NOT verified/m);
    const result = JSON.parse(run.stdout);
    assert.ok(result.warnings.includes(INSECURE_WARNING), result.warnings.join('\n'));
    assert.equal(result.verify.ok, true);
  });

  it('capture --proxy to a wss upstream with --ca: records through it; the header names the upstream certificate', async () => {
    const { port, done: proxy } = await startProxy(['--ca', file('node-ca.pem')], 'proxy.hrcap');
    // The tool's own subscriber as the receiving side: its Authorization goes upstream through the proxy.
    const subscriber = await cli([
      'capture',
      '--source',
      `ws://127.0.0.1:${port}`,
      '--database',
      'pets',
      '--since',
      '0',
      '--until-idle',
      '2s',
      '--out',
      out('through-proxy.hrcap'),
      '--json',
    ]);
    const proxied = await proxy;
    outputs.push(proxied.stdout, proxied.stderr);
    assert.equal(subscriber.code, ExitCode.OK, subscriber.stderr);
    assert.equal(JSON.parse(subscriber.stdout).records, 25);
    assert.equal(proxied.code, ExitCode.OK, proxied.stderr);
    const result = JSON.parse(proxied.stdout);
    assert.ok(result.messages > 0);
    assert.deepEqual(result.tls, {
      used: true,
      subject: nodeCert.subject.replace(/\n/g, ', '),
      fingerprint256: nodeCert.fingerprint256,
    });
    const reader = await CaptureReader.open(file('proxy.hrcap'));
    try {
      assert.deepEqual(reader.header.tls, result.tls);
    } finally {
      await reader.close();
    }
    const refused = await cli([
      'capture',
      '--proxy',
      '--listen',
      '0',
      '--upstream',
      node.replicationUrl,
      '--ca',
      file('wrong.pem'),
      '--duration',
      '1s',
      '--out',
      out('never-proxy.hrcap'),
    ]);
    assert.equal(refused.code, ExitCode.TLS_FAILED, refused.stderr);
    assertOneLineError(refused.stderr, /TLS: wss:.*unknown CA \(SELF_SIGNED_CERT_IN_CHAIN\)/);
  });

  it('capture --proxy listening on wss (--listen-cert/--listen-key): a receiver that trusts that certificate records through it', async () => {
    const own = {
      cert: readFileSync(file('own-ca.pem'), 'utf8'),
      key: readFileSync(file('own-ca.key'), 'utf8'),
    };
    const listen = issueListenerCertificate(own, 'proxy-listener', ['127.0.0.1']);
    writeFileSync(file('proxy-listen.pem'), listen.cert);
    writeFileSync(file('proxy-listen.key'), listen.key);
    const { port, done } = await startProxy(
      [
        '--ca',
        file('node-ca.pem'),
        '--listen-cert',
        file('proxy-listen.pem'),
        '--listen-key',
        file('proxy-listen.key'),
      ],
      'proxy-wss.hrcap',
    );
    const plain = await cli([
      'capture',
      '--source',
      `ws://127.0.0.1:${port}`,
      '--database',
      'pets',
      '--duration',
      '1s',
      '--out',
      out('plain-to-wss.hrcap'),
    ]);
    assert.notEqual(plain.code, ExitCode.OK, 'ws:// to the wss listener fails');
    const subscriber = await cli([
      'capture',
      '--source',
      `wss://127.0.0.1:${port}`,
      '--ca',
      file('own-ca.pem'),
      '--database',
      'pets',
      '--since',
      '0',
      '--until-idle',
      '2s',
      '--out',
      out('through-wss-proxy.hrcap'),
      '--json',
    ]);
    const proxied = await done;
    outputs.push(proxied.stdout, proxied.stderr);
    assert.equal(subscriber.code, ExitCode.OK, subscriber.stderr);
    const received = JSON.parse(subscriber.stdout);
    assert.equal(received.records, 25);
    assert.equal(received.tls.subject, 'CN=proxy-listener', 'the receiver saw the listener certificate');
    assert.equal(proxied.code, ExitCode.OK, proxied.stderr);
    assert.match(proxied.stderr, /proxy listening on wss:\/\/127\.0\.0\.1:\d+/);
    assert.ok(JSON.parse(proxied.stdout).messages > 0);
  });

  it('wrong CA: exit 7 and one line naming the cause and the fix (wss and https)', async () => {
    const capture = await cli([
      'capture',
      '--source',
      node.operationsUrl,
      '--ca',
      file('wrong.pem'),
      '--frames',
      '1',
      '--out',
      out('never.hrcap'),
    ]);
    assert.equal(capture.code, ExitCode.TLS_FAILED, capture.stderr);
    assertOneLineError(
      capture.stderr,
      /^Error: TLS: wss:\/\/127\.0\.0\.1:\d+ presented a certificate signed by an unknown CA \(SELF_SIGNED_CERT_IN_CHAIN\): pass --ca FILE/,
    );
    const synth = await cli([...pushSynth(httpsOps, 'never'), '--ca', file('wrong.pem')]);
    assert.equal(synth.code, ExitCode.TLS_FAILED, synth.stderr);
    assertOneLineError(
      synth.stderr,
      /^Error: TLS: https:\/\/127\.0\.0\.1:\d+ presented a certificate signed by an unknown CA/,
    );
    const fromTarget = await cli([...pushSynth(httpsOps, 'never'), '--ca-from-target']);
    assert.equal(fromTarget.code, ExitCode.TLS_FAILED, fromTarget.stderr);
    assertOneLineError(
      fromTarget.stderr,
      /--ca-from-target: cannot verify https:.*only read over a connection that is already trusted/,
    );
  });

  it('host name mismatch: exit 7 naming --servername', async () => {
    const run = await cli([
      'capture',
      '--source',
      node.replicationUrl,
      '--ca',
      file('node-ca.pem'),
      '--servername',
      'wrong.example',
      '--frames',
      '1',
      '--out',
      out('never2.hrcap'),
    ]);
    assert.equal(run.code, ExitCode.TLS_FAILED, run.stderr);
    assertOneLineError(run.stderr, /ERR_TLS_CERT_ALTNAME_INVALID: .*wrong\.example.*--servername NAME/);
  });

  it('wrong password: "authentication refused", exit 5 (replication socket and operations API)', async () => {
    const wrong = { HARPER_USER: 'admin', HARPER_PASSWORD: `${password}-wrong` };
    const capture = await cli(
      [
        'capture',
        '--source',
        node.replicationUrl,
        '--ca',
        file('node-ca.pem'),
        '--frames',
        '1',
        '--out',
        out('never3.hrcap'),
      ],
      wrong,
    );
    assert.equal(capture.code, ExitCode.AUTH_FAILED, capture.stderr);
    assertOneLineError(
      capture.stderr,
      /^Error: authentication refused by wss:\/\/127\.0\.0\.1:\d+ \(1008 Unauthorized\): check --user\/--password/,
    );
    const synth = await cli([...pushSynth(httpsOps, 'never'), '--ca', file('node-ca.pem')], wrong);
    assert.equal(synth.code, ExitCode.AUTH_FAILED, synth.stderr);
    assertOneLineError(synth.stderr, /authentication refused by https:.*\(HTTP 401\)/);
  });

  it('a client certificate the node does not accept, no password: exit 5 naming the certificate', async () => {
    const run = await cli(
      [
        'capture',
        '--source',
        node.replicationUrl,
        '--ca',
        file('node-ca.pem'),
        '--cert',
        file('client.pem'),
        '--key',
        file('client.key'),
        '--frames',
        '1',
        '--out',
        out('never4.hrcap'),
      ],
      {},
    );
    assert.equal(run.code, ExitCode.AUTH_FAILED, run.stderr);
    assertOneLineError(
      run.stderr,
      /authentication refused by wss:.*\(1008 Unauthorized\): the client certificate \(CN=tool-peer\) was not accepted/,
    );
  });

  it('bad flags: --token with --password is exit 2, a missing --ca file exit 6', async () => {
    // With --json too (oclif would otherwise turn its exit error into exit 1).
    const plain = pushSynth(node.operationsUrl, 'never');
    const both = await cli([...plain, '--token', token]);
    assert.equal(both.code, ExitCode.USAGE, both.stderr);
    assertOneLineError(both.stderr, /--token and --password exclude each other/);
    const missing = await cli([...plain, '--ca', file('missing.pem')]);
    assert.equal(missing.code, ExitCode.BAD_INPUT, missing.stderr);
    assertOneLineError(missing.stderr, /--ca .*missing\.pem: cannot read it \(no such file\)/);
  });

  it('peer mode: the TLS-only node dials the tool on plain ws (loopback default)', async () => {
    const run = await cli([
      'synth',
      '--target',
      httpsOps,
      '--ca',
      file('node-ca.pem'),
      '--table',
      'peer_ws',
      '--frames',
      '4',
      '--records-per-frame',
      '500',
      '--samples',
      out('peer-ws.ndjson'),
      '--json',
    ]);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.target.via, 'peer');
    assert.deepEqual(result.verify, { skipped: false, expectedRecords: 2000, targetRecords: 2000, ok: true });
    assert.match(run.stderr, /listening on ws:\/\/127\.0\.0\.1:\d+/);
  });

  it('peer mode with --listen-tls: the node dials wss, its CSR is signed by the run CA; afterwards its certificates are its own again', async () => {
    const run = await cli([
      'synth',
      '--target',
      httpsOps,
      '--ca',
      file('node-ca.pem'),
      '--listen-tls',
      '--table',
      'peer_wss',
      '--frames',
      '4',
      '--records-per-frame',
      '500',
      '--html',
      out('peer-wss.html'),
      '--json',
    ]);
    assert.equal(run.code, ExitCode.OK, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.match(run.stderr, /listening on wss:\/\/127\.0\.0\.1:\d+ as (harper-replay-[a-z0-9-]+)/);
    assert.deepEqual(result.verify, { skipped: false, expectedRecords: 2000, targetRecords: 2000, ok: true });
    assert.ok(
      result.warnings.some((w: string) => /signed .*certificate request with this run's CA/.test(w)),
      "the run says it signed the node's certificate",
    );
    assert.equal(result.cleanup.removedFromTarget, true);
    const toolName = result.workload.toolNodeName as string;
    const left = (await node.client().listCertificates()).filter(
      (c) => c.name.startsWith(toolName) || (c.details?.issuer ?? '').includes(toolName),
    );
    assert.deepEqual(left, [], 'no certificate of the run is left in hdb_certificate');
    // 4.7.29 reloads its TLS certificates ~1.5 s after a change: it serves its own certificate again.
    let served = '';
    for (let i = 0; i < 40 && served !== nodeCert.fingerprint256; i++) {
      served = await servedFingerprint(node.replicationUrl, readFileSync(file('node-ca.pem'), 'utf8'));
      if (served !== nodeCert.fingerprint256) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(served, nodeCert.fingerprint256, "the replication port serves the node's own certificate");
  });

  it('peer mode with --listen-cert/--listen-key: the certificate names the tool; a self-signed node cannot be signed for, and says so', async () => {
    const own = createRunCa('user-ca');
    const leaf = issueListenerCertificate(own, 'harper-replay-user', ['127.0.0.1']);
    writeFileSync(file('listen.pem'), leaf.cert);
    writeFileSync(file('listen.key'), leaf.key);
    // As if the cluster's CA had signed the tool's certificate: the node trusts it (its TLS trust reloads ~1.5 s later).
    await node.client().addCertificate({ name: 'user-ca', certificate: own.cert, is_authority: true });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const run = await cli([
      'synth',
      '--target',
      node.operationsUrl,
      '--listen-cert',
      file('listen.pem'),
      '--listen-key',
      file('listen.key'),
      '--frames',
      '1',
      '--records-per-frame',
      '10',
      '--json',
    ]);
    assert.notEqual(run.code, ExitCode.OK);
    assert.equal(
      JSON.parse(run.stdout).workload.toolNodeName,
      'harper-replay-user',
      'the node name comes from the certificate',
    );
    assert.match(run.stderr + run.stdout, /cannot sign this node's certificate request/);
    await node.client().removeCertificate('user-ca');
    assert.deepEqual(
      (await node.client().listCertificates()).filter((c) => /harper-replay-user|user-ca/.test(c.name)),
      [],
      'nothing of the tool is left on the node',
    );
    const bad = await cli(['synth', '--target', node.operationsUrl, '--listen-cert', file('listen.pem')]);
    assert.equal(bad.code, ExitCode.USAGE);
    assert.match(bad.stderr, /--listen-cert and --listen-key go together/);
    const mismatch = await cli([
      'synth',
      '--target',
      node.operationsUrl,
      '--listen-cert',
      file('listen.pem'),
      '--listen-key',
      file('client.key'),
    ]);
    assert.equal(mismatch.code, ExitCode.BAD_INPUT);
    assert.match(mismatch.stderr, /is not the key of --listen-cert/);
  });

  it('bench --target over https with a token: workers restarted per setting, pushes over wss, per-run samples; a breached threshold exits 99', async () => {
    const samples = out('bench.ndjson');
    const perRun = [out('bench-1.ndjson'), out('bench-2.ndjson')];
    const run = await cli(
      [
        'bench',
        '--target',
        httpsOps,
        '--via',
        'push',
        '--ca',
        file('node-ca.pem'),
        '--set',
        'REPLICATION_RECORDCONCURRENCY=2,150',
        '--repeat',
        '1',
        '--frames',
        '4',
        '--records-per-frame',
        '250',
        '--table',
        'bench_tls',
        '--samples',
        samples,
        '--threshold',
        'committedRecords<1',
        '--json',
      ],
      { HARPER_TOKEN: token },
    );
    assert.equal(run.code, ExitCode.THRESHOLD_BREACHED, run.stderr);
    assert.match(run.stderr, /threshold breached: run 1: committedRecords<1, run 2: committedRecords<1/);
    const result = JSON.parse(run.stdout);
    assert.equal(result.target, httpsOps);
    assert.equal(result.restore.ok, true, 'the original value is back');
    assert.deepEqual(result.restore.settings, { REPLICATION_RECORDCONCURRENCY: null });
    assert.equal(result.runs.length, 2);
    for (const [i, benchRun] of result.runs.entries()) {
      assert.ok(benchRun.restartMs > 0, 'workers restarted over https');
      assert.deepEqual(benchRun.applied, { REPLICATION_RECORDCONCURRENCY: true });
      assert.equal(benchRun.result.target.via, 'push');
      assert.equal(benchRun.result.verify.ok, true, 'every record landed over wss');
      assert.equal(benchRun.samples, perRun[i]);
      const rebuilt = await cli(['report', perRun[i]!, '--json']);
      assert.deepEqual(
        JSON.parse(rebuilt.stdout),
        // The bench's runs are its own results; report prints one as a --json document.
        jsonDocument(benchRun.result, 0),
        `report rebuilds run ${i + 1} from its samples`,
      );
    }
    const tables = await node.client().describeAll();
    assert.ok(
      !Object.keys(tables.data ?? {}).some((table) => table.startsWith('bench_tls')),
      'the per-run tables are dropped',
    );
  });

  it('no password, token, Basic header or private key in any output of these runs', () => {
    const keyBodies = ['client.key', 'wrong.key', 'own-ca.key'].flatMap((name) =>
      readFileSync(file(name), 'utf8')
        .split('\n')
        .filter((line) => line.length >= 40 && !line.startsWith('-----')),
    );
    assert.ok(keyBodies.length >= 3, 'key bodies to look for');
    const secrets = [
      password,
      token,
      Buffer.from(`admin:${password}`).toString('base64'),
      'PRIVATE KEY',
      ...keyBodies,
    ];
    const files = written.filter((path) => readdirSync(dir).includes(path.slice(dir.length + 1)));
    assert.ok(files.length >= 7, `outputs written: ${files.join(', ')}`);
    const texts = [
      ...outputs.map((text, i) => ({ name: `stream ${i}`, text })),
      ...files.map((path) => ({ name: path, text: readFileSync(path).toString('latin1') })),
    ];
    for (const { name, text } of texts) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `${name} contains a secret`);
    }
  });
});

/** The SHA-256 fingerprint of the certificate a TLS port serves, verified against `ca` ('' if it does not verify). */
function servedFingerprint(url: string, ca: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), ca, servername: undefined }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fingerprint);
    });
    socket.on('error', () => resolve(''));
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve('');
    });
  });
}

/** Starts `capture --proxy` to the node's wss port; resolves once it listens. */
async function startProxy(
  extra: string[],
  outName: string,
): Promise<{ port: number; done: Promise<CliRun> }> {
  const [port] = await freeLoopbackPorts(1);
  let listening!: () => void;
  const ready = new Promise<void>((resolve) => {
    listening = resolve;
  });
  const done = runCli(
    [
      'capture',
      '--proxy',
      '--listen',
      String(port),
      '--upstream',
      node.replicationUrl,
      ...extra,
      '--until-idle',
      '2s',
      '--out',
      out(outName),
      '--json',
    ],
    {
      onStart: (child, output) => {
        const poll = setInterval(() => {
          if (/proxy listening/.test(output.stderr())) {
            clearInterval(poll);
            listening();
          }
        }, 50);
        child.once('close', () => {
          clearInterval(poll);
          listening();
        });
      },
    },
  );
  await ready;
  return { port: port!, done };
}
