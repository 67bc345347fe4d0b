/**
 * A real Prometheus (Debian's `prometheus` package; test/setup/system-tools.mjs installs it) started by a test on a
 * free loopback port with its remote-write receiver on and its data in a temporary folder, and its HTTP query API.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPorts } from '../../src/harper/free-port.js';

export const PROMETHEUS = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';

export interface RunningPrometheus {
  writeUrl: string;
  pid: number;
  /** An instant query at `time` (epoch ms); the vector's samples. */
  query(expression: string, time?: number): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  /** SIGKILL (the test's own process, by its pid), and its folder removed. */
  kill(): Promise<void>;
}

export async function startPrometheus(): Promise<RunningPrometheus> {
  if (!existsSync(PROMETHEUS)) {
    throw new Error(
      `no prometheus at ${PROMETHEUS}: run \`sudo apt-get install prometheus\` (or set PROMETHEUS_PATH), then the tests again`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'harper-replay-prometheus-'));
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\n');
  const [port] = await freeLoopbackPorts(1);
  const base = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      '--web.enable-remote-write-receiver',
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--config.file=${join(dir, 'prometheus.yml')}`,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`${base}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`prometheus did not become ready on ${base}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    writeUrl: `${base}/api/v1/write`,
    pid: child.pid!,
    async query(expression, time) {
      const params = new URLSearchParams({ query: expression });
      if (time !== undefined) params.set('time', (time / 1000).toFixed(3));
      const body = (await (await fetch(`${base}/api/v1/query?${params}`)).json()) as {
        status: string;
        error?: string;
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      if (body.status !== 'success') throw new Error(`query ${expression}: ${body.error}`);
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
