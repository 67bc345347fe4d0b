import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { freeLoopbackPorts } from '../../../src/harper/free-port.js';

/** Binds every port on 127.0.0.1 at once (the check that they are free), then releases them. */
async function bindAll(ports: number[]): Promise<void> {
  const servers: Server[] = [];
  try {
    for (const port of ports) {
      const server = createServer();
      servers.push(server);
      server.listen(port, '127.0.0.1');
      await Promise.race([
        once(server, 'listening'),
        once(server, 'error').then(([error]) => {
          throw new Error(`port ${port} is not free: ${(error as Error).message}`);
        }),
      ]);
    }
  } finally {
    await Promise.all(
      servers.filter((s) => s.listening).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    );
  }
}

describe('freeLoopbackPorts', () => {
  it('returns the number of ports asked for, distinct, in the TCP port range', async () => {
    for (const count of [1, 2, 5, 20]) {
      const ports = await freeLoopbackPorts(count);
      assert.equal(ports.length, count);
      assert.equal(new Set(ports).size, count, `distinct: ${ports}`);
      for (const port of ports) assert.ok(Number.isInteger(port) && port > 0 && port < 65_536, `${port}`);
    }
  });

  it('the ports are released: all of them can be bound on 127.0.0.1 right away', async () => {
    const ports = await freeLoopbackPorts(8);
    await bindAll(ports);
  });

  it('asks the kernel each time (not a fixed list)', async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 5; i++) for (const port of await freeLoopbackPorts(4)) seen.add(port);
    assert.ok(seen.size > 4, `${seen.size} different ports over five calls`);
  });

  it('zero ports is an empty list', async () => {
    assert.deepEqual(await freeLoopbackPorts(0), []);
  });
});
