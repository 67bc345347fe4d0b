#!/usr/bin/env node
// Re-creates the example captures of this folder against throwaway harperdb 4.7.29 nodes (the tool's own
// embedded launcher). Run from the repository root after `npm install`: `node captures/make-captures.mjs`.
// It prints every harper-replay command it runs; captures/README.md lists them. Give file names (without
// .hrcap) to re-create only those, e.g. `node captures/make-captures.mjs proxy-three-databases`.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { EmbeddedNode } from '../dist/src/harper/embedded-node.js';

const credentials = { user: 'admin', password: `make-${Date.now()}` };
const env = { ...process.env, HARPER_USER: credentials.user, HARPER_PASSWORD: credentials.password };
const cli = (...args) => {
  console.log(`$ harper-replay ${args.join(' ')}`);
  execFileSync(process.execPath, ['bin/run.js', ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
};
const only = process.argv.slice(2);
const wanted = (name) => only.length === 0 || only.includes(name);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** `capture --proxy` in front of A; resolves with its URL and a stop() that SIGINTs it and waits. */
async function proxyCapture(upstream, out) {
  const { spawn } = await import('node:child_process');
  console.log(`$ harper-replay capture --proxy --listen 127.0.0.1:0 --upstream ${upstream} --out ${out}   (Ctrl-C when done)`);
  const proxy = spawn(process.execPath, ['bin/run.js', 'capture', '--proxy', '--listen', '127.0.0.1:0', '--upstream', upstream, '--out', out], { env, stdio: ['ignore', 'inherit', 'pipe'] });
  let stderr = '';
  proxy.stderr.on('data', (chunk) => { stderr += chunk; process.stderr.write(chunk); });
  while (!/listening on (ws:\S+)/.test(stderr)) await sleep(50);
  const url = /listening on (ws:\S+)/.exec(stderr)[1];
  return { url, stop: async () => { proxy.kill('SIGINT'); await new Promise((r) => proxy.once('close', r)); } };
}
const basic = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
const [a, b] = await Promise.all([EmbeddedNode.start({ credentials }), EmbeddedNode.start({ credentials })]);
try {
  const client = a.client();
  // 1. Two nodes through the proxy (first: B copies every database of A): B add_node's the proxy instead of A, then A takes 20 writes.
  if (wanted('proxy-two-nodes')) {
    rmSync('captures/proxy-two-nodes.hrcap', { force: true });
    const proxy = await proxyCapture(a.replicationUrl, 'captures/proxy-two-nodes.hrcap');
    await b.client().addNode({ url: proxy.url, authorization: basic, retain_authorization: true });
    await client.createTable('data', 'cat', 'id');
    await sleep(2000);
    for (let i = 0; i < 20; i++) await client.call({ operation: 'insert', database: 'data', table: 'cat', records: [{ id: i + 1, name: `cat ${i + 1}` }] });
    await sleep(2000);
    await proxy.stop();
  }
  // 2. A catch-up backlog written through the operations API: 40 inserts of 500 records.
  if (wanted('catchup-40x500')) {
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
  }
  // 3. Blobs: 12 records with a 50 KB blob each, loaded with synth, captured as Harper's own full copy.
  if (wanted('blobs-12x50k')) {
    cli('synth', '--target', a.operationsUrl, '--via', 'push', '--database', 'media', '--table', 'photos', '--frames', '3', '--records-per-frame', '4', '--record-size', '128', '--blob-size', '50KB', '--no-progress');
    rmSync('captures/blobs-12x50k.hrcap', { force: true });
    cli('capture', '--source', a.operationsUrl, '--database', 'media', '--since', '0', '--until-idle', '2s', '--out', 'captures/blobs-12x50k.hrcap', '--no-progress');
  }
  // 4. Three databases through the proxy: zoo and farm with 5 rows each before B links (B's full copy), shop
  // empty; then 5 rounds of one insert per database, 150 ms apart (the interleaving a replay keeps).
  if (wanted('proxy-three-databases')) {
    const tables = { zoo: 'animal', farm: 'crop', shop: 'item' };
    for (const [database, table] of Object.entries(tables)) {
      await client.createDatabase(database);
      await client.createTable(database, table, 'id');
      if (database !== 'shop') await client.call({ operation: 'insert', database, table, records: Array.from({ length: 5 }, (_, i) => ({ id: i + 1, name: `${table} ${i + 1}` })) });
    }
    rmSync('captures/proxy-three-databases.hrcap', { force: true });
    const c = await EmbeddedNode.start({ credentials });
    try {
      const proxy = await proxyCapture(a.replicationUrl, 'captures/proxy-three-databases.hrcap');
      await c.client().addNode({ url: proxy.url, authorization: basic, retain_authorization: true });
      await sleep(3000);
      for (let round = 0; round < 5; round++) {
        for (const [database, table] of Object.entries(tables)) {
          await client.call({ operation: 'insert', database, table, records: [{ id: 100 + round, name: `live ${100 + round}` }] });
          await sleep(150);
        }
      }
      await sleep(2000);
      await proxy.stop();
    } finally {
      await c.stop();
    }
  }
} finally {
  await Promise.all([a.stop(), b.stop()]);
}
