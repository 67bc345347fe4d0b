/**
 * Every way a run can end cleans up (issue 14 item 8). SIGHUP (a closed terminal) behaves like Ctrl-C: exit 129,
 * the result printed, the embedded node and its temp dir gone, the tool's registration removed from a --target
 * node. After a SIGKILL (no handler runs) the embedded node's watchdog still stops it and removes its dir, and the
 * registration left on a --target node is found and removed by `cleanup` (never while its run is alive).
 * One --target node is shared by the peer-mode tests.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/common/errors.js';
import { type CliRun, hdbNodeNames, isAlive, nodeForFile, runCli, whenStreaming } from '../helpers/harper.js';

const target = nodeForFile();

const credentials = () => ({
  HARPER_USER: target().credentials.user,
  HARPER_PASSWORD: target().credentials.password,
});

/** A synth run long enough to be interrupted mid-stream (10 frames/s of 1000). */
const longSynth = (table: string, ...extra: string[]) => [
  'synth',
  '--frames',
  '1000',
  '--records-per-frame',
  '200',
  '--rate',
  '10',
  '--table',
  table,
  ...extra,
];

/** The embedded node's temp dir, read from its process (ROOTPATH=<dir>/hdb) while it runs. */
function baseDirOf(pid: number): string {
  const root = readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .find((entry) => entry.startsWith('ROOTPATH='));
  assert.ok(root, `pid ${pid} is not a harperdb of the tool's`);
  return dirname(root.slice('ROOTPATH='.length));
}

/** Live processes whose command line or environment names `text` (harperdb, its workers, the watchdog). */
function processesNaming(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || !isAlive(Number(entry))) continue;
    for (const file of ['cmdline', 'environ']) {
      try {
        if (readFileSync(`/proc/${entry}/${file}`, 'utf8').includes(text)) {
          found.push(Number(entry));
          break;
        }
      } catch {}
    }
  }
  return found;
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

/** Runs `args`; once it streams, `act` gets the CLI and its embedded node (pid and dir) if it has one. */
async function runAndAct(
  args: string[],
  act: (child: ChildProcess, node?: { pid: number; baseDir: string }) => void,
  env: Record<string, string> = {},
): Promise<{ run: CliRun; node?: { pid: number; baseDir: string }; firedAt: number }> {
  let node: { pid: number; baseDir: string } | undefined;
  const trigger = whenStreaming(1000, (child, pid) => {
    if (pid) node = { pid, baseDir: baseDirOf(pid) };
    act(child, node);
  });
  const run = await runCli(args, { env, onStart: trigger.onStart, timeoutMs: 180_000 });
  assert.ok(trigger.firedAt() > 0, `the run never got going:\n${run.stderr}`);
  return { run, node, firedAt: trigger.firedAt() };
}

const toolNameIn = (stderr: string) => /listening on \S+ as (harper-replay-[a-z0-9-]+)/.exec(stderr)?.[1];

describe('embedded target', () => {
  it('SIGHUP: exit 129, the result printed, no harperdb process and no temp dir left', async () => {
    const { run, node } = await runAndAct(longSynth('hup_embedded'), (child) => child.kill('SIGHUP'));
    assert.ok(node, `the run reported its node's pid:\n${run.stderr}`);
    assert.equal(run.code, ExitCode.HANGUP, run.stderr);
    assert.match(run.stdout, /INTERRUPTED/);
    assert.match(run.stderr, /interrupted \(SIGHUP: the terminal closed\)/);
    assert.equal(isAlive(node.pid), false, 'the node process is gone');
    assert.equal(existsSync(node.baseDir), false, 'the temp dir is gone');
    // The watchdog exits with a normal stop too: nothing names the dir any more.
    assert.ok(await until(() => processesNaming(node.baseDir).length === 0, 3_000), 'no process left');
  });

  it('SIGKILL: the watchdog stops the node and removes its temp dir within seconds', async () => {
    const { run, node } = await runAndAct(longSynth('kill_embedded'), (child) => child.kill('SIGKILL'));
    assert.ok(node, `the run reported its node's pid:\n${run.stderr}`);
    assert.equal(run.signal, 'SIGKILL');
    const killedAt = Date.now();
    const gone = await until(() => !isAlive(node.pid) && !existsSync(node.baseDir), 10_000);
    assert.ok(
      gone,
      `node ${isAlive(node.pid) ? 'alive' : 'gone'}, dir ${existsSync(node.baseDir) ? 'kept' : 'gone'}`,
    );
    assert.ok(await until(() => processesNaming(node.baseDir).length === 0, 3_000), 'no process left');
    process.stderr.write(`# node and dir gone ${Date.now() - killedAt} ms after SIGKILL\n`);
  });
});

describe('--target node in peer mode', () => {
  it('SIGHUP: exit 129 and the registration removed', async () => {
    const { run } = await runAndAct(
      longSynth('hup_peer', '--target', target().operationsUrl),
      (child) => child.kill('SIGHUP'),
      credentials(),
    );
    const name = toolNameIn(run.stderr);
    assert.ok(name, run.stderr);
    assert.equal(run.code, ExitCode.HANGUP, run.stderr);
    assert.match(run.stdout, /INTERRUPTED/);
    assert.equal((await hdbNodeNames(target().client())).includes(name), false, 'no registration left');
  });

  it('SIGKILL leaves the registration; cleanup keeps it while the run lives, then removes it (dry run first)', async () => {
    let whileAlive: CliRun | undefined;
    const { run } = await runAndAct(
      longSynth('kill_peer', '--target', target().operationsUrl),
      (child) => {
        void runCli(['cleanup', '--target', target().operationsUrl], { env: credentials() }).then(
          (result) => {
            whileAlive = result;
            child.kill('SIGKILL');
          },
        );
      },
      credentials(),
    );
    const name = toolNameIn(run.stderr);
    assert.ok(name, run.stderr);
    assert.equal(run.signal, 'SIGKILL');
    assert.ok(whileAlive);
    assert.equal(whileAlive.code, ExitCode.OK, whileAlive.stderr);
    assert.match(whileAlive.stdout, new RegExp(`kept registration ${name} .*still running`));
    const client = target().client();
    assert.ok((await hdbNodeNames(client)).includes(name), 'a SIGKILL leaves the registration');

    const dry = await runCli(['cleanup', '--target', target().operationsUrl, '--dry-run'], {
      env: credentials(),
    });
    assert.equal(dry.code, ExitCode.OK, dry.stderr);
    assert.match(dry.stdout, new RegExp(`would remove registration ${name} .*gone`));
    assert.match(dry.stdout, /dry run: would remove 1, keep 0; nothing was changed/);
    assert.ok((await hdbNodeNames(client)).includes(name), '--dry-run removes nothing');

    const clean = await runCli(['cleanup', '--target', target().operationsUrl, '--json'], {
      env: credentials(),
    });
    assert.equal(clean.code, ExitCode.OK, clean.stderr);
    const result = JSON.parse(clean.stdout);
    assert.deepEqual(
      result.registrations.map((r: { name: string; action: string }) => [r.name, r.action]),
      [[name, 'removed']],
    );
    assert.deepEqual(result.certificates, [], 'a plain ws run adds no certificate');
    assert.equal((await hdbNodeNames(client)).includes(name), false, 'cleanup removed it');

    const again = await runCli(['cleanup', '--target', target().operationsUrl], { env: credentials() });
    assert.equal(again.code, ExitCode.OK, again.stderr);
    assert.match(again.stdout, /no harper-replay registrations or certificates on /);
  });

  it('SIGKILL of a --listen-tls run: cleanup also removes its CA and the certificate it signed for the node', async () => {
    const { run } = await runAndAct(
      longSynth('kill_peer_tls', '--target', target().operationsUrl, '--listen-tls'),
      (child) => child.kill('SIGKILL'),
      credentials(),
    );
    const name = toolNameIn(run.stderr);
    assert.ok(name, run.stderr);
    const client = target().client();
    const ofRun = async () =>
      (await client.listCertificates())
        .filter((c) => c.name === `${name}-ca` || (c.details?.issuer ?? '').startsWith(`CN=${name}-ca`))
        .map((c) => c.name)
        .sort();
    const left = await ofRun();
    assert.ok(left.includes(`${name}-ca`), `the run's CA is left after a SIGKILL: ${left}`);
    process.stderr.write(`# certificates left by the killed run: ${left.join(', ')}\n`);
    const clean = await runCli(['cleanup', '--target', target().operationsUrl, '--json'], {
      env: credentials(),
    });
    assert.equal(clean.code, ExitCode.OK, clean.stderr);
    const result = JSON.parse(clean.stdout);
    assert.deepEqual(
      result.registrations.map((r: { name: string; action: string }) => [r.name, r.action]),
      [[name, 'removed']],
    );
    assert.deepEqual(
      result.certificates.map((c: { name: string; action: string }) => [c.name, c.action]).sort(),
      left.map((certificate) => [certificate, 'removed']),
    );
    assert.deepEqual(await ofRun(), [], 'no certificate of the run is left');
    assert.equal((await hdbNodeNames(client)).includes(name), false);
  });
});
