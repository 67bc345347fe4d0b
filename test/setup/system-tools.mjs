#!/usr/bin/env node
// Run by `npm test` before the tests: the HTML tests need Debian's chromium, the export tests its tshark and the
// --prometheus-rw tests its prometheus, which npm cannot install. Installs the missing ones when this user may (root, or sudo without a password); otherwise
// says in one line what to run and fails, so no test is silently skipped. CHROMIUM_PATH / TSHARK_PATH /
// PROMETHEUS_PATH point elsewhere. (The tests start their own prometheus on a free loopback port; Debian's service
// is not used.)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const tools = [
  { name: 'chromium', path: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', packages: ['chromium'] },
  { name: 'tshark', path: process.env.TSHARK_PATH ?? '/usr/bin/tshark', packages: ['tshark'] },
  {
    name: 'prometheus',
    path: process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus',
    packages: ['prometheus'],
  },
];

const missing = tools.filter((tool) => !existsSync(tool.path));
if (missing.length === 0) process.exit(0);
for (const variable of ['CHROMIUM_PATH', 'TSHARK_PATH', 'PROMETHEUS_PATH']) {
  const path = process.env[variable];
  if (path && !existsSync(path)) {
    console.error(`npm test: ${variable}=${path} does not exist; unset it or point it at the program`);
    process.exit(1);
  }
}

const names = missing.map((tool) => tool.name).join(' ');
const hint = `the tests need ${names}: run \`sudo apt-get install ${names}\` (or set CHROMIUM_PATH / TSHARK_PATH / PROMETHEUS_PATH), then npm test again`;

function runs(command, args) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

const isRoot = process.getuid?.() === 0;
const sudo = isRoot ? [] : runs('sudo', ['-n', 'true']) ? ['sudo', '-n'] : undefined;
if (!sudo || !runs('sh', ['-c', 'command -v apt-get'])) {
  console.error(`npm test: ${hint}`);
  process.exit(1);
}

function aptGet(args) {
  const [command, ...rest] = [...sudo, 'apt-get', ...args];
  execFileSync(command, rest, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

console.error(`npm test: installing Debian's ${names} for the HTML, export and Prometheus tests (apt-get)…`);
try {
  const packages = missing.flatMap((tool) => tool.packages);
  try {
    aptGet(['install', '-y', '-q', '--no-install-recommends', ...packages]);
  } catch {
    aptGet(['update', '-q']);
    aptGet(['install', '-y', '-q', '--no-install-recommends', ...packages]);
  }
} catch {
  console.error(`npm test: apt-get could not install them; ${hint}`);
  process.exit(1);
}
const still = missing.filter((tool) => !existsSync(tool.path));
if (still.length) {
  console.error(`npm test: ${still.map((t) => t.name).join(' ')} still missing after apt-get; ${hint}`);
  process.exit(1);
}
