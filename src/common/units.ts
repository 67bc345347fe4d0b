/** Parsing of human units on the command line: sizes (50KB, 1.5GiB) and durations (500ms, 30s, 2m). */

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  k: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  g: 1024 ** 3,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
  t: 1024 ** 4,
};

/** Bytes from "256", "50KB", "1.5MiB" (KB and KiB both mean 1024, as Harper's own sizes do). */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const factor = match ? SIZE_UNITS[(match[2] || 'b').toLowerCase()] : undefined;
  if (!match || factor === undefined) {
    throw new Error(`"${text}" is not a size (examples: 256, 50KB, 1.5MiB, 2GiB)`);
  }
  return Math.round(Number(match[1]) * factor);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds from "500ms", "30s", "2m", "1h", "1m30s"; "0" is zero. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new Error(`"${text}" is not a duration (examples: 500ms, 30s, 2m, 1m30s)`);
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2]!]!, 0));
}

/** KEY=VALUE (Harper config env override). Keys are upper-snake config paths such as REPLICATION_RECORDCONCURRENCY. */
export function parseKeyValue(text: string): [string, string] {
  const index = text.indexOf('=');
  if (index <= 0) throw new Error(`"${text}" is not KEY=VALUE (example: REPLICATION_RECORDCONCURRENCY=2)`);
  const key = text.slice(0, index).trim();
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(key))
    throw new Error(`"${key}" is not a Harper config key (letters, digits, _)`);
  return [key.toUpperCase(), text.slice(index + 1)];
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '–';
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : value.toLocaleString('en-US');
}
