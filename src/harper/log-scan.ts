/**
 * What the target says about itself in its log: OOMs, uncaught exceptions, blob and replication errors, and its own
 * back-pressure pause/resume lines (debug level in 4.7.29), and its subscriptions being set up. 4.7.29's lines were
 * seen live; the Harper Pro 5.x lines (queue-budget pause, receive watchdog, blob save failed) are read from the source
 * (harper-pro d2a193f replication/replicationConnection.ts, lines cited below) and never seen live.
 */
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

import type { LogMatchKind } from '../events/schema.js';

const PATTERNS: Array<[LogMatchKind, RegExp]> = [
  ['fault-fired', /harper-replay target fault fired:/],
  ['oom', /ERR_WORKER_OUT_OF_MEMORY|JavaScript heap out of memory|reaching memory limit/],
  ['uncaught', /uncaughtException|Uncaught exception/i],
  // 5.x (RC:6592, error level).
  ['blob-save-failed', /Blob save failed/],
  ['replication-error', /Error handling incoming replication message/],
  ['pause', /Commit backlog causing replication back-pressure/],
  // 5.x (RC:3839, warn, throttled to one per 5 s): the inbound frame queue over receiveQueueHighWaterMark.
  ['pause', /Pausing replication receive: inbound frame queue over its budget/],
  // 5.x (RC:3424, RC:3445, warn): the receive watchdog terminating a silent or stalled connection to reconnect.
  ['watchdog-reconnect', /Receive watchdog: .*terminating connection and reconnecting/],
  ['resume', /Replication resuming/],
  // The main thread handing a subscription to a worker (warn level): at the start and again after a worker dies.
  ['subscription-setup', /Setting up subscription with leader/],
];

export function classifyLogLine(line: string): LogMatchKind | undefined {
  for (const [kind, pattern] of PATTERNS) if (pattern.test(line)) return kind;
  return undefined;
}

export interface LogMatch {
  kind: LogMatchKind;
  /** The log line's own timestamp, when it has one. */
  at?: string;
  line: string;
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)/;

/**
 * Splits log text into entries (an entry starts with an ISO timestamp; stack traces continue it) and classifies
 * each entry once, by its whole text, so a multi-line error counts once.
 */
export function scanLogText(text: string): LogMatch[] {
  const matches: LogMatch[] = [];
  let entry: string[] = [];
  const flush = () => {
    if (!entry.length) return;
    const kind = classifyLogLine(entry.join('\n'));
    if (kind) {
      const first = entry[0]!;
      const at = TIMESTAMP.exec(first)?.[1];
      matches.push(at ? { kind, at, line: first.slice(0, 300) } : { kind, line: first.slice(0, 300) });
    }
    entry = [];
  };
  for (const line of text.split('\n')) {
    if (TIMESTAMP.test(line)) flush();
    if (line.trim()) entry.push(line);
  }
  flush();
  return matches;
}

/** A local log file read from a byte offset on: call `read()` as often as you like, it returns only new matches. */
export class LogTail {
  private offset: number | undefined;
  private partial = '';
  /** Keeps a UTF-8 character split across two reads whole. */
  private decoder = new StringDecoder('utf8');

  constructor(private readonly path: string) {}

  /** Remembers the current end of the file: matches are counted from here. */
  async mark(): Promise<void> {
    this.offset = await size(this.path);
  }

  async read(): Promise<LogMatch[]> {
    const handle = await open(this.path, 'r').catch(() => undefined);
    if (!handle) return [];
    try {
      const { size: end } = await handle.stat();
      // A log that shrank was truncated or rotated: read the new file from its start.
      if (this.offset !== undefined && end < this.offset) {
        this.offset = 0;
        this.partial = '';
        this.decoder = new StringDecoder('utf8');
      }
      const start = this.offset ?? 0;
      if (end <= start) return [];
      const buffer = Buffer.alloc(end - start);
      await handle.read(buffer, 0, buffer.length, start);
      this.offset = end;
      const text = this.partial + this.decoder.write(buffer);
      const cut = text.lastIndexOf('\n');
      this.partial = cut >= 0 ? text.slice(cut + 1) : text;
      return scanLogText(cut >= 0 ? text.slice(0, cut) : '');
    } finally {
      await handle.close();
    }
  }
}

async function size(path: string): Promise<number> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return 0;
  try {
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}
