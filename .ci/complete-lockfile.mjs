#!/usr/bin/env node
// The npm registry this project's machines use lacks some packages that `npm install` only needs on other
// platforms (biome/msgpackr-extract/cbor-extract/node-unix-socket binaries for darwin, win32, arm, musl) and a git
// dependency of an optional harperdb dependency (hdd-space -> parse-columns). `npm install` leaves them out of
// package-lock.json, and `npm ci` then refuses the lock file as "out of sync". This adds an entry for each one:
// platform packages with their real os/cpu (npm skips them here), the git dependency as optional (npm drops the
// optional hdd-space when it cannot fetch it, as `npm install` did). Idempotent; run after `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;

function platform(name) {
  const base = name.split('/').pop();
  const os = ['android', 'darwin', 'linux', 'win32', 'freebsd'].find((o) => base.includes(o));
  const cpu = ['arm64', 'x64', 'arm', 'ia32'].find((c) => new RegExp(`(^|-)${c}($|-)`).test(base));
  const libc = os === 'linux' ? (base.includes('musl') ? 'musl' : 'glibc') : undefined;
  return { os, cpu, libc };
}

const installed = (parent, dep) =>
  (parent ? `${parent}/node_modules/${dep}` : `node_modules/${dep}`) in packages ||
  `node_modules/${dep}` in packages;

let added = 0;
for (const [parent, meta] of Object.entries(packages)) {
  for (const [dep, spec] of Object.entries(meta.optionalDependencies ?? {})) {
    if (installed(parent, dep)) continue;
    const { os, cpu, libc } = platform(dep);
    const entry = { version: spec, optional: true };
    if (meta.dev) entry.dev = true;
    if (os) entry.os = [os];
    if (cpu) entry.cpu = [cpu];
    if (libc) entry.libc = [libc];
    packages[`node_modules/${dep}`] = entry;
    added++;
  }
  for (const [dep, spec] of Object.entries(meta.dependencies ?? {})) {
    if (!meta.optional || installed(parent, dep) || !/^(git\+|https?:\/\/|github:)/.test(spec)) continue;
    packages[`node_modules/${dep}`] = {
      version: '0.0.0',
      resolved: `git+${spec.replace(/^git\+/, '')}`,
      optional: true,
    };
    added++;
  }
}
if (added) {
  writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`package-lock.json: added ${added} entries for packages this registry does not serve`);
}
