import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseProcStatus, readProcMemory, resetPeakRss } from '../../../src/harper/proc-status.js';

const MiB = 1024 * 1024;

/** /proc/<pid>/status as Linux 6.x prints it (abridged but in order), with our memory lines. */
const status = (rssKb: number, hwmKb: number) =>
  [
    'Name:\tnode',
    'State:\tS (sleeping)',
    'Pid:\t4242',
    'VmPeak:\t 1234567 kB',
    'VmSize:\t 1200000 kB',
    'VmLck:\t       0 kB',
    `VmHWM:\t${String(hwmKb).padStart(8)} kB`,
    `VmRSS:\t${String(rssKb).padStart(8)} kB`,
    'RssAnon:\t   40000 kB',
    'VmSwap:\t       0 kB',
    'Threads:\t11',
    '',
  ].join('\n');

describe('parseProcStatus', () => {
  it('reads VmRSS and VmHWM in bytes', () => {
    assert.deepEqual(parseProcStatus(status(51_200, 102_400)), { rss: 50 * MiB, hwm: 100 * MiB });
    assert.deepEqual(parseProcStatus(status(0, 0)), { rss: 0, hwm: 0 });
    // 16 TiB in kB: still exact in a double.
    assert.deepEqual(parseProcStatus(status(17_179_869_184, 17_179_869_184)), { rss: 2 ** 44, hwm: 2 ** 44 });
  });

  it('is undefined when a line is missing or not in kB (kernel threads have no Vm lines)', () => {
    const cases = [
      '',
      'Name:\tkthreadd\nState:\tS (sleeping)\n',
      status(1, 2).replace(/^VmHWM:.*$/m, ''),
      status(1, 2).replace(/^VmRSS:.*$/m, ''),
      status(1, 2).replace('VmRSS:\t       1 kB', 'VmRSS:\t       1 MB'),
      status(1, 2).replace('VmRSS:\t       1 kB', 'VmRSS:\t      -1 kB'),
      // Only at the start of a line: another field that ends in VmRSS does not count.
      status(1, 2).replace(/^VmRSS:/m, 'XVmRSS:'),
    ];
    for (const text of cases)
      assert.equal(parseProcStatus(text), undefined, JSON.stringify(text.slice(0, 200)));
  });

  it('property: any values, the lines in any order among others', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.shuffledSubarray([
          'Name:\tnode',
          'VmPeak:\t 9 kB',
          'VmSwap:\t 0 kB',
          'Threads:\t3',
          'RssFile:\t 5 kB',
        ]),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
        (rssKb, hwmKb, others, rssAt, hwmAt) => {
          const lines = [...others];
          lines.splice(Math.min(rssAt, lines.length), 0, `VmRSS:\t${rssKb} kB`);
          lines.splice(Math.min(hwmAt, lines.length), 0, `VmHWM:\t ${hwmKb} kB`);
          assert.deepEqual(parseProcStatus(lines.join('\n')), { rss: rssKb * 1024, hwm: hwmKb * 1024 });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('readProcMemory', () => {
  it('reads this process: RSS close to what Node reports, the peak at least the RSS', async () => {
    const before = process.memoryUsage.rss();
    const memory = await readProcMemory(process.pid);
    const afterRss = process.memoryUsage.rss();
    assert.ok(memory, 'this process has a status file');
    assert.ok(memory.rss > 10 * MiB, `rss ${memory.rss}`);
    assert.ok(memory.hwm >= memory.rss, `hwm ${memory.hwm} ≥ rss ${memory.rss}`);
    const low = Math.min(before, afterRss) * 0.8;
    const high = Math.max(before, afterRss) * 1.25;
    assert.ok(memory.rss >= low && memory.rss <= high, `${memory.rss} near Node's ${before}…${afterRss}`);
    // And it is the status file's own numbers.
    const parsed = parseProcStatus(readFileSync('/proc/self/status', 'utf8'));
    assert.ok(parsed && Math.abs(parsed.rss - memory.rss) < 64 * MiB);
  });

  it('is undefined for a process that is gone', async () => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
    assert.equal(await readProcMemory(child.pid!), undefined);
    assert.equal(await resetPeakRss(child.pid!), false, 'nor can its peak be reset');
  });
});

describe('resetPeakRss', () => {
  /** A node that touches 192 MiB, frees it, and waits: its peak is far above its RSS. */
  async function spikedChild(): Promise<ChildProcess> {
    const script = `
      let big = Buffer.alloc(192 * 1024 * 1024, 1);
      big = null;
      globalThis.gc();
      setTimeout(() => process.stdout.write('ready\\n'), 50);
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--expose-gc', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
    assert.equal(chunk.toString().trim(), 'ready');
    return child;
  }

  it('brings the peak back down to the current RSS', async () => {
    const child = await spikedChild();
    try {
      let before = await readProcMemory(child.pid!);
      // The freed memory leaves the RSS once the allocator has returned it.
      const deadline = Date.now() + 2000;
      while (before && before.hwm - before.rss < 128 * MiB && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        before = await readProcMemory(child.pid!);
      }
      assert.ok(before, 'the child is running');
      assert.ok(before.hwm - before.rss >= 128 * MiB, `a spike: hwm ${before.hwm}, rss ${before.rss}`);
      assert.equal(await resetPeakRss(child.pid!), true);
      const after = await readProcMemory(child.pid!);
      assert.ok(after, 'the child is still running');
      assert.ok(after.hwm >= after.rss);
      assert.ok(after.hwm - after.rss < 32 * MiB, `peak reset: hwm ${after.hwm}, rss ${after.rss}`);
      assert.ok(after.hwm < before.hwm - 96 * MiB, `${after.hwm} < ${before.hwm}`);
    } finally {
      child.kill();
      await once(child, 'exit');
    }
  });
});
