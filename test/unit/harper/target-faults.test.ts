/**
 * The target-fault component: its spec parsed strictly, and the generated resources.js run for real in a child
 * process (with a stand-in for Harper's `logger` global) against files under a temp `blobs/` folder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  ARMED_LINE,
  describeTargetFault,
  FIRED_LINE,
  faultComponentFiles,
  parseTargetFault,
} from '../../../src/harper/target-faults.js';

const dir = mkdtempSync(join(tmpdir(), 'hr-target-faults-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('parseTargetFault', () => {
  it('reads blob-write-fail:N and blob-write-slow:DURATION', () => {
    assert.deepEqual(parseTargetFault('blob-write-fail:7'), { kind: 'blob-write-fail', every: 7 });
    assert.deepEqual(parseTargetFault('blob-write-slow:50ms'), { kind: 'blob-write-slow', delayMs: 50 });
    assert.equal(describeTargetFault({ kind: 'blob-write-fail', every: 7 }), 'blob-write-fail every 7');
  });
  const bad: Array<[string, RegExp]> = [
    ['blob-write-fail', /is not KIND:VALUE/],
    ['blob-write-fail:0', /N a whole number ≥ 1/],
    ['blob-write-fail:1.5', /N a whole number ≥ 1/],
    ['blob-write-slow:fast', /a delay such as 50ms/],
    ['blob-write-slow:0', /must be above 0/],
    ['disk-full:1', /unknown kind "disk-full"/],
  ];
  for (const [text, message] of bad)
    it(`refuses ${text}`, () => assert.throws(() => parseTargetFault(text), message));
});

/**
 * Runs the component's resources.js in a child with a logging stand-in, then opens `writes` blob files, one after
 * the other or (`together`) all at once, and says how long the blob writes took in the child.
 */
function runComponent(spec: string, writes: number, together = false) {
  const files = faultComponentFiles([parseTargetFault(spec)]);
  const component = join(dir, spec.replace(/[^a-z0-9]/g, '_'));
  mkdirSync(component, { recursive: true });
  writeFileSync(join(component, 'resources.mjs'), files['resources.js'] ?? '');
  const blobs = join(component, 'root', 'blobs', 'data');
  mkdirSync(blobs, { recursive: true });
  const script = `
    const lines = [];
    globalThis.logger = { notify: (m) => lines.push('notify ' + m), warn: (m) => lines.push('warn ' + m) };
    await import(${JSON.stringify(join(component, 'resources.mjs'))});
    const fs = await import('node:fs');
    const writeOne = (i) => new Promise((resolve) => {
      const stream = fs.createWriteStream(${JSON.stringify(blobs)} + '/' + i);
      stream.on('error', (e) => resolve(e.code));
      stream.write('x', () => stream.end(() => resolve('ok')));
    });
    const started = performance.now();
    const results = [];
    const indexes = Array.from({ length: ${writes} }, (_, i) => i + 1);
    if (${together}) results.push(...(await Promise.all(indexes.map(writeOne))));
    else for (const i of indexes) results.push(await writeOne(i));
    const blobMs = performance.now() - started;
    const other = fs.createWriteStream(${JSON.stringify(join(component, 'not-a-blob'))});
    await new Promise((resolve) => other.end('y', resolve));
    console.log(JSON.stringify({ lines, results, blobMs }));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as { lines: string[]; results: string[]; blobMs: number };
}

describe('faultComponentFiles', () => {
  it('declares a jsResource component of ES modules', () => {
    const files = faultComponentFiles([parseTargetFault('blob-write-fail:3')]);
    assert.match(files['config.yaml'] ?? '', /jsResource:\s+files: 'resources.js'/);
    assert.equal(JSON.parse(files['package.json'] ?? '{}').type, 'module');
  });

  it('blob-write-fail:3: says it is armed, then every 3rd blob file fails with ENOENT and says so; other files are left alone', () => {
    const { lines, results } = runComponent('blob-write-fail:3', 7);
    assert.deepEqual(results, ['ok', 'ok', 'ENOENT', 'ok', 'ok', 'ENOENT', 'ok']);
    assert.equal(lines[0], `notify ${ARMED_LINE} blob-write-fail every 3`);
    assert.deepEqual(lines.slice(1), [
      `warn ${FIRED_LINE} blob-write-fail (write 3)`,
      `warn ${FIRED_LINE} blob-write-fail (write 6)`,
    ]);
  });

  it('blob-write-slow:30ms: every blob file write waits, and each slowed file is said', () => {
    const started = Date.now();
    const { lines, results } = runComponent('blob-write-slow:30ms', 3);
    assert.deepEqual(results, ['ok', 'ok', 'ok']);
    assert.equal(lines.filter((l) => l.startsWith(`warn ${FIRED_LINE} blob-write-slow`)).length, 3);
    assert.ok(Date.now() - started >= 90, 'three writes of at least 30 ms each');
  });

  it('blob-write-slow:30ms is one disk: 4 files written at once still take a slot of 30 ms per write, one after the other', () => {
    const { results, blobMs } = runComponent('blob-write-slow:30ms', 4, true);
    assert.deepEqual(results, ['ok', 'ok', 'ok', 'ok']);
    // Each file is one write ('x'); in parallel they would all be done after ~30 ms.
    assert.ok(blobMs >= 4 * 30 - 2, `${blobMs.toFixed(0)} ms for 4 concurrent writes`);
  });
});
