#!/usr/bin/env node
// Re-creates the example captures of this folder against throwaway harperdb 4.7.29 nodes (the tool's own
// embedded launcher). Run from the repository root after `npm install`: `node captures/make-captures.mjs`.
// It prints every harper-replay command it runs; captures/README.md lists them.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { EmbeddedNode } from '../dist/src/harper/embedded-node.js';

const credentials = { user: 'admin', password: `make-${Date.now()}` };
const env = { ...process.env, HARPER_USER: credentials.user, HARPER_PASSWORD: credentials.password };
const cli = (...args) => {
  console.log(`$ harper-replay ${args.join(' ')}`);
  execFileSync(process.execPath, ['bin/run.js', ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
};
const [a, b] = await Promise.all([EmbeddedNode.start({ credentials }), EmbeddedNode.start({ credentials })]);
try {
  const client = a.client();
  // 1. Two nodes through the proxy (first: B copies every database of A): B add_node's the proxy instead of A, then A takes 20 writes.
  rmSync('captures/proxy-two-nodes.hrcap', { force: true });
  const { spawn } = await import('node:child_process');
  console.log(`$ harper-replay capture --proxy --listen 127.0.0.1:0 --upstream ${a.replicationUrl} --out captures/proxy-two-nodes.hrcap   (Ctrl-C when done)`);
  const proxy = spawn(process.execPath, ['bin/run.js', 'capture', '--proxy', '--listen', '127.0.0.1:0', '--upstream', a.replicationUrl, '--out', 'captures/proxy-two-nodes.hrcap'], { env, stdio: ['ignore', 'inherit', 'pipe'] });
  let stderr = '';
  proxy.stderr.on('data', (chunk) => { stderr += chunk; process.stderr.write(chunk); });
  while (!/listening on (ws:\S+)/.test(stderr)) await new Promise((r) => setTimeout(r, 50));
  const url = /listening on (ws:\S+)/.exec(stderr)[1];
  await b.client().addNode({ url, authorization: `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`, retain_authorization: true });
  await client.createTable('data', 'cat', 'id');
  await new Promise((r) => setTimeout(r, 2000));
  for (let i = 0; i < 20; i++) await client.call({ operation: 'insert', database: 'data', table: 'cat', records: [{ id: i + 1, name: `cat ${i + 1}` }] });
  await new Promise((r) => setTimeout(r, 2000));
  proxy.kill('SIGINT');
  await new Promise((r) => proxy.once('close', r));
  // 2. A catch-up backlog written through the operations API: 40 inserts of 500 records.
  await client.createTable('kennel', 'dog', 'id', [{ name: 'id', type: 'Int' }, { name: 'name', type: 'String' }, { name: 'age', type: 'Int' }]);
  const since = new Date(Date.now() - 10).toISOString();
  for (let batch = 0; batch < 40; batch++) {
    const records = Array.from({ length: 500 }, (_, i) => ({ id: batch * 500 + i + 1, name: `dog ${batch * 500 + i + 1}`, age: (batch + i) % 20 }));
    await client.call({ operation: 'insert', database: 'kennel', table: 'dog', records });
  }
  await client.call({ operation: 'upsert', database: 'kennel', table: 'dog', records: [{ id: 1, name: 'Rex', age: 4 }] });
  await client.call({ operation: 'delete', database: 'kennel', table: 'dog', ids: [2, 3] });
  rmSync('captures/catchup-40x500.hrcap', { force: true });
  cli('capture', '--source', a.operationsUrl, '--database', 'kennel', '--since', since, '--until-idle', '2s', '--out', 'captures/catchup-40x500.hrcap', '--no-progress');

  // 3. Blobs: 12 records with a 50 KB blob each, loaded with synth, captured as Harper's own full copy.
  cli('synth', '--target', a.operationsUrl, '--via', 'push', '--database', 'media', '--table', 'photos', '--frames', '3', '--records-per-frame', '4', '--record-size', '128', '--blob-size', '50KB', '--no-progress');
  rmSync('captures/blobs-12x50k.hrcap', { force: true });
  cli('capture', '--source', a.operationsUrl, '--database', 'media', '--since', '0', '--until-idle', '2s', '--out', 'captures/blobs-12x50k.hrcap', '--no-progress');

} finally {
  await Promise.all([a.stop(), b.stop()]);
}
