/**
 * The watchdog as a real process against stand-ins: a "tool" and a "harperdb" that are plain Node processes (the
 * latter detached, with ROOTPATH=<root> in its environment as harperdb has), and a real temp dir. The tool dying
 * (SIGKILL, or its pipe closing) stops the node's process group and removes the dir; a disarm leaves both.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  isOurHarper,
  NODE_DIR_PREFIX,
  parseWatchdogPlan,
  processAlive,
  restartedPid,
  rootDirOf,
  startWatchdog,
  type WatchdogPlan,
} from '../../../src/harper/node-watchdog.js';

const spawned: ChildProcess[] = [];
const dirs: string[] = [];
// Also when a test fails half-way: no stand-in process or temp dir outlives the file.
after(() => {
  for (const child of spawned) if (child.pid && processAlive(child.pid)) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function sleeper(options: { env?: NodeJS.ProcessEnv; detached?: boolean; ignoreTerm?: boolean } = {}) {
  const code = `${options.ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', code], {
    stdio: 'ignore',
    detached: options.detached ?? false,
    env: { ...process.env, ...options.env },
  });
  spawned.push(child);
  return child;
}

/** A stand-in node: its temp dir, its root, and a detached process whose environment names that root. */
function fakeNode(ignoreTerm = false): { baseDir: string; root: string; node: ChildProcess } {
  const baseDir = mkdtempSync(join(tmpdir(), NODE_DIR_PREFIX));
  dirs.push(baseDir);
  const root = rootDirOf(baseDir);
  mkdirSync(root);
  writeFileSync(join(root, 'marker'), 'x');
  const node = sleeper({ env: { ROOTPATH: root }, detached: true, ignoreTerm });
  return { baseDir, root, node };
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

/** The watchdog is unref'd (it must not keep the tool alive): ref it while a test waits for it. */
function exited(child: ChildProcess): Promise<number | null> {
  child.ref();
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** A fake node, once it runs as "our harper", and a watchdog over it on behalf of the tool `toolPid`. */
async function watchedNode(
  toolPid: number,
  options: { keep: boolean; graceMs: number; ignoreTerm?: boolean },
): Promise<{
  baseDir: string;
  root: string;
  node: ChildProcess;
  watchdog: ReturnType<typeof startWatchdog>;
}> {
  const { baseDir, root, node } = fakeNode(options.ignoreTerm);
  await until(() => isOurHarper(node.pid!, root), 2_000);
  const watchdog = startWatchdog({
    toolPid,
    nodePid: node.pid!,
    baseDir,
    keep: options.keep,
    graceMs: options.graceMs,
  });
  return { baseDir, root, node, watchdog };
}

describe('watchdog process', () => {
  it('stops the node group and removes its dir once the tool is SIGKILLed', async () => {
    const tool = sleeper();
    const { baseDir, node, watchdog } = await watchedNode(tool.pid!, { keep: false, graceMs: 2_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(processAlive(node.pid!), 'the node runs while the tool does');
    assert.ok(existsSync(baseDir));
    tool.kill('SIGKILL');
    assert.ok(await until(() => !processAlive(node.pid!) || node.exitCode !== null, 5_000), 'node gone');
    assert.ok(await until(() => !existsSync(baseDir), 5_000), 'temp dir removed');
    assert.equal(await exited(watchdog.process), 0);
  });

  it('acts on EOF of its pipe without a disarm (the tool died however it died)', async () => {
    // The test process is the "tool" here: it stays alive, only the pipe closes.
    const { baseDir, node, watchdog } = await watchedNode(process.pid, { keep: true, graceMs: 2_000 });
    watchdog.process.stdin!.destroy();
    assert.equal(await exited(watchdog.process), 0);
    assert.ok(await until(() => node.exitCode !== null || node.signalCode !== null, 3_000), 'node stopped');
    assert.ok(existsSync(join(baseDir, 'hdb', 'marker')), 'keep: the dir stays for a post-mortem');
    rmSync(baseDir, { recursive: true, force: true });
  });

  it('SIGKILLs a node that ignores SIGTERM after the grace', async () => {
    const tool = sleeper();
    const { baseDir, node, watchdog } = await watchedNode(tool.pid!, {
      keep: false,
      graceMs: 500,
      ignoreTerm: true,
    });
    tool.kill('SIGKILL');
    assert.equal(await exited(watchdog.process), 0);
    assert.ok(await until(() => node.signalCode === 'SIGKILL', 3_000), `killed: ${node.signalCode}`);
    assert.ok(!existsSync(baseDir));
  });

  it('a disarmed watchdog exits and leaves the node and its dir alone', async () => {
    const { baseDir, root, node, watchdog } = await watchedNode(process.pid, { keep: false, graceMs: 500 });
    watchdog.disarm();
    assert.equal(await exited(watchdog.process), 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(processAlive(node.pid!), 'node untouched');
    assert.ok(existsSync(join(root, 'marker')), 'dir untouched');
    node.kill('SIGKILL');
    rmSync(baseDir, { recursive: true, force: true });
  });

  it('never signals a process whose environment names another root (a reused pid)', async () => {
    const tool = sleeper();
    const { baseDir } = fakeNode();
    const stranger = sleeper({ detached: true, env: { ROOTPATH: '/somewhere/else' } });
    const watchdog = startWatchdog({
      toolPid: tool.pid!,
      nodePid: stranger.pid!,
      baseDir,
      keep: false,
      graceMs: 200,
    });
    tool.kill('SIGKILL');
    assert.equal(await exited(watchdog.process), 0);
    assert.ok(processAlive(stranger.pid!), 'the stranger lives');
    assert.ok(!existsSync(baseDir), 'the dir it was given is still removed');
  });
});

describe('parseWatchdogPlan', () => {
  const good: WatchdogPlan = {
    toolPid: 100,
    nodePid: 200,
    baseDir: `/tmp/${NODE_DIR_PREFIX}abc`,
    keep: false,
    graceMs: 3000,
  };

  it('reads a plan back', () => {
    assert.deepEqual(parseWatchdogPlan(JSON.stringify(good)), good);
  });

  it('refuses a plan it cannot trust (it would kill and delete on it)', () => {
    const cases: Array<[string | undefined, RegExp]> = [
      [undefined, /not a JSON plan/],
      ['{', /not a JSON plan/],
      [JSON.stringify({ ...good, toolPid: 1 }), /pids/],
      [JSON.stringify({ ...good, nodePid: '200' }), /pids/],
      [JSON.stringify({ ...good, baseDir: '/home/user' }), /baseDir/],
      [JSON.stringify({ ...good, baseDir: `tmp/${NODE_DIR_PREFIX}x` }), /baseDir/],
      [JSON.stringify({ ...good, keep: 'no' }), /keep/],
      [JSON.stringify({ ...good, graceMs: -1 }), /graceMs/],
    ];
    for (const [text, pattern] of cases) assert.throws(() => parseWatchdogPlan(text), pattern, String(text));
  });
});

describe('restartedPid / processAlive', () => {
  it('reads <root>/hdb.pid, undefined when missing or not a pid', () => {
    const root = mkdtempSync(join(tmpdir(), 'watchdog-root-'));
    assert.equal(restartedPid(root), undefined);
    writeFileSync(join(root, 'hdb.pid'), '4242\n');
    assert.equal(restartedPid(root), 4242);
    writeFileSync(join(root, 'hdb.pid'), 'nope');
    assert.equal(restartedPid(root), undefined);
    rmSync(root, { recursive: true });
  });

  it('this process is alive; a reaped child is not', async () => {
    assert.equal(processAlive(process.pid), true);
    const child = sleeper();
    child.kill('SIGKILL');
    await exited(child);
    assert.equal(processAlive(child.pid!), false);
  });
});
