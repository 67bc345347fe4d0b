/** Reads a packet capture with the machine's tshark (Debian's package; `.ci/run` installs it): Wireshark's verdict. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const TSHARK = process.env.TSHARK_PATH ?? '/usr/bin/tshark';

export function tshark(file: string, args: string[]): string {
  if (!existsSync(TSHARK))
    throw new Error(`no tshark at ${TSHARK} (apt-get install tshark, or set TSHARK_PATH)`);
  return execFileSync(TSHARK, ['-n', '-r', file, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** One line per packet, the fields tab-separated. */
export function tsharkFields(file: string, filter: string, fields: string[]): string[][] {
  const out = tshark(file, ['-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])]);
  return out
    .split('\n')
    .filter((line) => line.length)
    .map((line) => line.split('\t'));
}
