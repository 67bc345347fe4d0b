/**
 * The embedded default target: a throwaway harperdb@4.7.29 (the project's own dependency) in a temp dir with its
 * own HOME, on free loopback ports, with random admin credentials (HDB_ADMIN_* and the port settings in its env).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freeLoopbackPorts } from './free-port.js';
import { isOurHarper, NODE_DIR_PREFIX, restartedPid, startWatchdog, type Watchdog } from './node-watchdog.js';
import { type Credentials, OperationsClient } from './operations-client.js';

export interface EmbeddedNodeOptions {
  /** Harper config overrides as env keys, e.g. { REPLICATION_RECORDCONCURRENCY: '2' }. */
  config?: Record<string, string>;
  threads?: number;
  /** Keep the temp dir after stopping (for post-mortems). */
  keep?: boolean;
  /** Bound for install + start until the operations API answers. */
  readyTimeoutMs?: number;
  /** Bound for SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
  nodeName?: string;
  /** Admin credentials (default: random). Nodes of one test cluster share them so add_node works both ways. */
  credentials?: Credentials;
  /**
   * Replication over TLS only, as a default install has it: replication.securePort (wss, the node's own
   * certificate) and no plain replication port (Harper then serves no plain-ws replication anywhere).
   */
  tls?: boolean;
  /** Harper components to place in the root before its first run: name → file name → content. */
  components?: Record<string, Record<string, string>>;
}

export class EmbeddedNodeError extends Error {
  override name = 'EmbeddedNodeError';
}

export interface EmbeddedNodeInfo {
  nodeName: string;
  operationsUrl: string;
  replicationUrl: string;
  httpUrl: string;
  rootDir: string;
  pid: number;
}

const HARPER_VERSION = '4.7.29';

function harperEntryPoint(): string {
  const require = createRequire(import.meta.url);
  // The package exports only its index (at the package root); the CLI sits beside it in bin/.
  return join(dirname(require.resolve('harperdb')), 'bin', 'harperdb.js');
}

/** A running embedded node. Create with `EmbeddedNode.start()`, always `stop()` it. */
export class EmbeddedNode implements EmbeddedNodeInfo {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private stopped = false;
  private readonly exitGuard = () => this.killNowSync();
  /** Stops the node if the tool dies without stopping it (SIGKILL runs no exit guard). */
  private watchdog?: Watchdog;

  private constructor(
    readonly nodeName: string,
    readonly baseDir: string,
    readonly credentials: Credentials,
    readonly ports: { operations: number; http: number; replication: number; mqtt: number },
    private readonly options: EmbeddedNodeOptions,
  ) {}

  get rootDir(): string {
    return join(this.baseDir, 'hdb');
  }
  get homeDir(): string {
    return join(this.baseDir, 'home');
  }
  get logFile(): string {
    return join(this.rootDir, 'log', 'hdb.log');
  }
  get consoleLogFile(): string {
    return join(this.baseDir, 'console.log');
  }
  get operationsUrl(): string {
    return `http://127.0.0.1:${this.ports.operations}`;
  }
  get httpUrl(): string {
    return `http://127.0.0.1:${this.ports.http}`;
  }
  get replicationUrl(): string {
    return `${this.options.tls ? 'wss' : 'ws'}://127.0.0.1:${this.ports.replication}`;
  }
  get pid(): number {
    return this.child?.pid ?? -1;
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  client(timeoutMs?: number): OperationsClient {
    return new OperationsClient({ url: this.operationsUrl, credentials: this.credentials, timeoutMs });
  }

  static async start(options: EmbeddedNodeOptions = {}): Promise<EmbeddedNode> {
    const baseDir = mkdtempSync(join(tmpdir(), NODE_DIR_PREFIX));
    const [operations, http, replication, mqtt] = await freeLoopbackPorts(4);
    const node = new EmbeddedNode(
      options.nodeName ?? `hr-target-${randomBytes(3).toString('hex')}`,
      baseDir,
      options.credentials ?? { user: 'hr_admin', password: randomBytes(18).toString('base64url') },
      { operations: operations!, http: http!, replication: replication!, mqtt: mqtt! },
      options,
    );
    try {
      await node.launch();
    } catch (error) {
      await node.stop();
      throw error;
    }
    return node;
  }

  /** The env of every harperdb invocation: HOME and ROOTPATH per node, loopback ports, then user overrides. */
  private environment(): NodeJS.ProcessEnv {
    const loopback = (port: number) => `127.0.0.1:${port}`;
    return {
      PATH: process.env.PATH,
      HOME: this.homeDir,
      ROOTPATH: this.rootDir,
      TC_AGREEMENT: 'yes',
      HDB_ADMIN_USERNAME: this.credentials.user,
      HDB_ADMIN_PASSWORD: this.credentials.password,
      OPERATIONSAPI_NETWORK_PORT: loopback(this.ports.operations),
      OPERATIONSAPI_NETWORK_SECUREPORT: 'null',
      HTTP_PORT: loopback(this.ports.http),
      HTTP_SECUREPORT: 'null',
      REPLICATION_PORT: this.options.tls ? 'null' : loopback(this.ports.replication),
      REPLICATION_SECUREPORT: this.options.tls ? loopback(this.ports.replication) : 'null',
      REPLICATION_URL: this.replicationUrl,
      REPLICATION_HOSTNAME: this.nodeName,
      MQTT_NETWORK_PORT: loopback(this.ports.mqtt),
      MQTT_NETWORK_SECUREPORT: 'null',
      THREADS_COUNT: String(this.options.threads ?? 1),
      LOGGING_LEVEL: 'info',
      ...this.options.config,
    };
  }

  private async launch(): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 90_000);
    const entry = harperEntryPoint();
    const env = this.environment();
    // A component in <root>/components/ before the first `run` is installed with the node and loaded by it.
    for (const [name, files] of Object.entries(this.options.components ?? {})) {
      const dir = join(this.rootDir, 'components', name);
      mkdirSync(dir, { recursive: true });
      for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
    }
    const out = openSync(this.consoleLogFile, 'a');
    try {
      // `run` on an empty root installs (non-interactively, from the env) and then serves: one process, ~1.5 s
      // faster than `install` followed by `run`.
      this.child = spawn(process.execPath, [entry, 'run'], {
        env,
        stdio: ['ignore', out, out],
        // Own process group: a Ctrl-C in the terminal reaches the tool, which then stops the node in order.
        detached: true,
      });
    } finally {
      closeSync(out);
    }
    process.once('exit', this.exitGuard);
    const child = this.child;
    if (child.pid) {
      this.watchdog = startWatchdog({
        toolPid: process.pid,
        nodePid: child.pid,
        baseDir: this.baseDir,
        keep: this.options.keep ?? false,
        graceMs: 3_000,
      });
    }
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await this.waitReady(deadline);
  }

  private async waitReady(deadline: number): Promise<void> {
    const client = this.client(2_000);
    let lastError = 'no answer yet';
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new EmbeddedNodeError(
          `harperdb ${HARPER_VERSION} exited during start-up (code ${this.child?.exitCode ?? this.child?.signalCode})${this.logTail()}`,
        );
      }
      try {
        const info = await client.userInfo();
        if (info.username) return;
      } catch (error) {
        lastError = (error as Error).message;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new EmbeddedNodeError(
      `harperdb ${HARPER_VERSION} did not become ready within ${this.options.readyTimeoutMs ?? 90_000} ms (${lastError})${this.logTail()}`,
    );
  }

  /** The last lines of the node's logs, for error messages. */
  logTail(lines = 15): string {
    const tail: string[] = [];
    for (const file of [this.consoleLogFile, this.logFile]) {
      if (!existsSync(file)) continue;
      const text = readFileSync(file, 'utf8')
        // biome-ignore lint/suspicious/noControlCharactersInRegex: strip ANSI colour codes of the banner
        .replace(/\u001b\[[0-9;]*m/g, '')
        .split('\n')
        .filter((line) => line.trim() && !line.includes(this.credentials.password));
      if (text.length)
        tail.push(`--- ${file} (last ${Math.min(lines, text.length)} lines)`, ...text.slice(-lines));
    }
    return tail.length ? `\n${tail.join('\n')}` : '';
  }

  /**
   * The node's process now. A `restart` operation makes harperdb start a new detached process (new pid, same
   * root) and the one we spawned exit; the new pid is in <root>/hdb.pid.
   */
  currentPid(): number | undefined {
    if (this.running) return this.child!.pid;
    const pid = restartedPid(this.rootDir);
    return pid !== undefined && isOurHarper(pid, this.rootDir) ? pid : undefined;
  }

  /** SIGTERM, then SIGKILL after a bound; removes the temp dir unless `keep`. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const timeout = this.options.stopTimeoutMs ?? 10_000;
    if (this.child && this.running) {
      const pid = this.child.pid!;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {}
      const killed = await Promise.race([
        this.exited!.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), timeout).unref()),
      ]);
      if (killed && this.running) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
        await this.exited;
      }
    }
    const restarted = this.restartedProcess();
    if (restarted !== undefined) await terminate(restarted, this.rootDir, timeout);
    process.removeListener('exit', this.exitGuard);
    if (!this.options.keep) rmSync(this.baseDir, { recursive: true, force: true });
    this.watchdog?.disarm();
  }

  /** The watchdog's pid (while the node runs), for tests that check it comes and goes with the node. */
  get watchdogPid(): number | undefined {
    return this.watchdog?.pid;
  }

  /** A process a `restart` left behind: a harperdb of this root that is not the child we spawned. */
  private restartedProcess(): number | undefined {
    const pid = restartedPid(this.rootDir);
    if (pid === undefined || pid === this.child?.pid) return undefined;
    return isOurHarper(pid, this.rootDir) ? pid : undefined;
  }

  /** Last resort when the tool exits without stopping the node (uncaught error, process.exit). */
  private killNowSync(): void {
    if (this.child && this.running) {
      try {
        process.kill(this.child.pid!, 'SIGKILL');
      } catch {}
    }
    const restarted = this.restartedProcess();
    if (restarted !== undefined) {
      try {
        process.kill(restarted, 'SIGKILL');
      } catch {}
    }
    if (!this.options.keep) rmSync(this.baseDir, { recursive: true, force: true });
  }
}

/** SIGTERM, SIGKILL after a bound. Alive = still our harperdb (a zombie's environ reads empty). */
async function terminate(pid: number, rootDir: string, timeoutMs: number): Promise<void> {
  const alive = () => isOurHarper(pid, rootDir);
  const waitGone = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  await waitGone(timeoutMs);
  if (alive()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
    await waitGone(5_000);
  }
}
