#!/usr/bin/env node
// Writes oclif.manifest.json (run by `npm run build`, after tsc). Without it oclif imports every command module
// on each start to learn the command list and flags; with it a start imports only the command it runs
// (measured: ~0.35 s instead of ~0.85 s of CPU per start). Generated, never committed: a stale one would hide a
// new command, so the build always rewrites it from dist/.
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Config } from '@oclif/core';

const root = fileURLToPath(new URL('../', import.meta.url));
const path = `${root}oclif.manifest.json`;
// oclif would read the old manifest back instead of the commands in dist/.
rmSync(path, { force: true });
const config = await Config.load({ root });
writeFileSync(path, `${JSON.stringify(config.rootPlugin.manifest, null, 2)}\n`);
