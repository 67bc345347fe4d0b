import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import type { LogMatchKind } from '../../../src/events/schema.js';
import { classifyLogLine, LogTail, scanLogText } from '../../../src/harper/log-scan.js';

const dir = mkdtempSync(join(tmpdir(), 'harper-replay-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempLog = () => join(dir, `${files++}-hdb.log`);

/** One line per kind, as harperdb 4.7 writes them (level and thread tags included). */
const SAMPLES: Array<[LogMatchKind, string]> = [
  [
    'oom',
    '[error] [http/3]: Worker error ERR_WORKER_OUT_OF_MEMORY: Worker terminated due to reaching memory limit',
  ],
  ['oom', 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory'],
  ['oom', '[warn] [main/0]: Thread http/2 is reaching memory limit, restarting'],
  ['uncaught', '[error] [main/0]: uncaughtException TypeError: Cannot read properties of undefined'],
  ['uncaught', '[error] [http/1]: Uncaught exception in worker'],
  ['uncaught', '[error] [http/1]: UNCAUGHT EXCEPTION in worker'],
  ['blob-save-failed', '[error] [replication/1]: Blob save failed for file 12ab: ENOSPC'],
  [
    'replication-error',
    '[error] [replication/1]: Error handling incoming replication message Error: bad frame',
  ],
  [
    'pause',
    '[debug] [replication/2]: Commit backlog causing replication back-pressure, requesting that node-a pause',
  ],
  ['resume', '[debug] [replication/2]: Replication resuming node-a'],
  [
    'subscription-setup',
    '[main/0] [warn]: Setting up subscription with leader harper-replay-b7adee40 for node harper-replay-b7adee40',
  ],
];

const NEUTRAL = [
  '[info] [main/0]: HarperDB 4.7.29 successfully started',
  '[notify] [http/1]: Domain socket listening on /tmp/hdb.sock',
  '[error] [http/1]: Error: connect ECONNREFUSED 127.0.0.1:9925',
  '[warn] [replication/1]: Connection to node-a closed, reconnecting',
  '[debug] [replication/1]: Sending subscription request',
  '[info] [main/0]: blob save failed', // the pattern is case-sensitive
  '[info] [main/0]: replication resuming', // likewise
  '',
];

const ts = (i: number) => new Date(Date.UTC(2025, 0, 2, 3, 4, 5) + i * 1001).toISOString();

describe('classifyLogLine', () => {
  it('table: every kind from a line of its own', () => {
    for (const [kind, line] of SAMPLES) assert.equal(classifyLogLine(line), kind, line);
    for (const [kind, line] of SAMPLES)
      assert.equal(classifyLogLine(`${ts(0)} ${line}`), kind, 'with a timestamp');
  });

  it('table: ordinary lines, errors included, are no match', () => {
    for (const line of NEUTRAL) assert.equal(classifyLogLine(line), undefined, line);
  });

  it('a line that says two things is classified by the first kind in the list (an OOM beats an uncaught)', () => {
    assert.equal(classifyLogLine('uncaughtException: JavaScript heap out of memory'), 'oom');
    assert.equal(classifyLogLine('Replication resuming after Blob save failed'), 'blob-save-failed');
    assert.equal(
      classifyLogLine(
        'Error handling incoming replication message: Commit backlog causing replication back-pressure',
      ),
      'replication-error',
    );
  });
});

describe('scanLogText', () => {
  it('one match per matching entry, with its timestamp and first line', () => {
    const text = [
      `${ts(0)} ${NEUTRAL[0]}`,
      `${ts(1)} ${SAMPLES[7]![1]}`,
      `${ts(2)} ${NEUTRAL[3]}`,
      `${ts(3)} ${SAMPLES[8]![1]}`,
      `${ts(4)} ${SAMPLES[9]![1]}`,
      '',
    ].join('\n');
    assert.deepEqual(scanLogText(text), [
      { kind: 'replication-error', at: ts(1), line: `${ts(1)} ${SAMPLES[7]![1]}` },
      { kind: 'pause', at: ts(3), line: `${ts(3)} ${SAMPLES[8]![1]}` },
      { kind: 'resume', at: ts(4), line: `${ts(4)} ${SAMPLES[9]![1]}` },
    ]);
  });

  it('a stack trace continues its entry: a multi-line error counts once, even where the keyword is further down', () => {
    const text = [
      `${ts(0)} [error] [http/1]: Worker crashed`,
      '    at Worker.<anonymous> (file:///hdb/server/threads/manageThreads.js:1:1)',
      '  ERR_WORKER_OUT_OF_MEMORY',
      '',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      `${ts(1)} [error] [main/0]: uncaughtException Error: boom`,
      '    at uncaughtException (x.js:1:1)',
      '    Uncaught exception again in the trace',
    ].join('\n');
    assert.deepEqual(scanLogText(text), [
      { kind: 'oom', at: ts(0), line: `${ts(0)} [error] [http/1]: Worker crashed` },
      { kind: 'uncaught', at: ts(1), line: `${ts(1)} [error] [main/0]: uncaughtException Error: boom` },
    ]);
  });

  it('text before the first timestamp is an entry of its own, without an at', () => {
    const text = [
      'FATAL ERROR: JavaScript heap out of memory',
      ' 1: 0xb7a0 node::Abort()',
      `${ts(0)} ${NEUTRAL[0]}`,
    ].join('\n');
    assert.deepEqual(scanLogText(text), [
      { kind: 'oom', line: 'FATAL ERROR: JavaScript heap out of memory' },
    ]);
  });

  it('timestamps: with or without fractions; only at the start of a line; other forms do not start an entry', () => {
    assert.deepEqual(scanLogText(`2025-01-02T03:04:05Z ${SAMPLES[9]![1]}`)[0]?.at, '2025-01-02T03:04:05Z');
    assert.deepEqual(
      scanLogText(`2025-01-02T03:04:05.123456Z ${SAMPLES[9]![1]}`)[0]?.at,
      '2025-01-02T03:04:05.123456Z',
    );
    // A local-time stamp is no entry start: both lines are one entry, classified once.
    const text = [`2025-01-02 03:04:05 ${SAMPLES[9]![1]}`, `2025-01-02 03:04:06 ${SAMPLES[9]![1]}`].join(
      '\n',
    );
    const matches = scanLogText(text);
    assert.equal(matches.length, 1);
    assert.equal(matches[0]!.at, undefined);
    assert.equal(
      scanLogText(`  ${ts(0)} ${SAMPLES[9]![1]}`)[0]?.at,
      undefined,
      'indented: not an entry start',
    );
  });

  it('keeps only the first 300 characters of the first line', () => {
    const long = `${ts(0)} ${SAMPLES[0]![1]} ${'x'.repeat(1000)}`;
    const [match] = scanLogText(long);
    assert.equal(match?.line, long.slice(0, 300));
    assert.equal(match?.line.length, 300);
  });

  it('empty and blank text has no matches', () => {
    for (const text of ['', '\n', '   \n\t\n', `${ts(0)}\n`])
      assert.deepEqual(scanLogText(text), [], JSON.stringify(text));
  });

  it('property: a log of entries gives exactly the matches of its matching entries, in order', () => {
    // Filler that cannot spell any pattern: no c, h, t and no capitals.
    const filler = fc.string({
      unit: fc.constantFrom(...'abdefgijklmnopqrsuvwxyz0123456789 .,:;-_/[]()'),
      maxLength: 40,
    });
    const message = fc.oneof(
      fc.constantFrom(...SAMPLES).map(([kind, text]) => ({ kind: kind as LogMatchKind | undefined, text })),
      filler.map((text) => ({
        kind: undefined as LogMatchKind | undefined,
        text: `[info] [main/0]: ${text}`,
      })),
    );
    const entry = fc.record({
      message,
      prefix: filler,
      // Continuation lines: stack frames and blank lines, never starting with a timestamp.
      stack: fc.array(
        fc.oneof(
          filler.map((f) => `    at ${f}`),
          fc.constant(''),
          fc.constant('   '),
        ),
        { maxLength: 4 },
      ),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 25 }), fc.boolean(), (entries, trailingNewline) => {
        const lines: string[] = [];
        const expected: Array<{ kind: LogMatchKind; at: string; line: string }> = [];
        entries.forEach((e, i) => {
          const first = `${ts(i)} ${e.prefix}${e.message.text}`;
          lines.push(first, ...e.stack);
          if (e.message.kind) expected.push({ kind: e.message.kind, at: ts(i), line: first.slice(0, 300) });
        });
        const text = lines.join('\n') + (trailingNewline ? '\n' : '');
        assert.deepEqual(scanLogText(text), expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('LogTail', () => {
  it('counts only what was written after mark(), and each match once', async () => {
    const path = tempLog();
    writeFileSync(path, `${ts(0)} ${SAMPLES[0]![1]}\n${ts(1)} ${NEUTRAL[0]}\n`);
    const tail = new LogTail(path);
    await tail.mark();
    assert.deepEqual(await tail.read(), [], 'the OOM before mark() is not counted');
    appendFileSync(path, `${ts(2)} ${SAMPLES[8]![1]}\n${ts(3)} ${NEUTRAL[1]}\n`);
    assert.deepEqual(
      (await tail.read()).map((m) => [m.kind, m.at]),
      [['pause', ts(2)]],
    );
    assert.deepEqual(await tail.read(), [], 'nothing new, nothing again');
    appendFileSync(path, `${ts(4)} ${SAMPLES[9]![1]}\n`);
    assert.deepEqual(
      (await tail.read()).map((m) => m.kind),
      ['resume'],
    );
  });

  it('a log that was truncated or rotated (it shrank) is read again from its start', async () => {
    const path = tempLog();
    writeFileSync(path, `${ts(0)} ${NEUTRAL[0]}\n${ts(1)} ${NEUTRAL[1]}\n`);
    const tail = new LogTail(path);
    await tail.mark();
    writeFileSync(path, `${ts(2)} ${SAMPLES[0]![1]}\n`);
    assert.deepEqual(
      (await tail.read()).map((m) => m.kind),
      ['oom'],
    );
  });

  it('a UTF-8 character split across two reads stays whole', async () => {
    const path = tempLog();
    writeFileSync(path, '');
    const tail = new LogTail(path);
    await tail.mark();
    const line = Buffer.from(`${ts(0)} ${SAMPLES[3]![1]} – µ`, 'utf8');
    const cut = line.length - 1; // inside the two bytes of "µ"
    appendFileSync(path, line.subarray(0, cut));
    assert.deepEqual(await tail.read(), []);
    appendFileSync(path, Buffer.concat([line.subarray(cut), Buffer.from('\n')]));
    const [match] = await tail.read();
    assert.equal(match?.line, line.toString('utf8'));
  });

  it('without mark() it reads from the start of the file', async () => {
    const path = tempLog();
    writeFileSync(path, `${ts(0)} ${SAMPLES[0]![1]}\n${ts(1)} ${SAMPLES[6]![1]}\n`);
    assert.deepEqual(
      (await new LogTail(path).read()).map((m) => m.kind),
      ['oom', 'blob-save-failed'],
    );
  });

  it('holds back a line until its newline is written', async () => {
    const path = tempLog();
    writeFileSync(path, '');
    const tail = new LogTail(path);
    await tail.mark();
    const full = `${ts(0)} ${SAMPLES[7]![1]}`;
    appendFileSync(path, full.slice(0, 30));
    assert.deepEqual(await tail.read(), []);
    appendFileSync(path, full.slice(30, 60));
    assert.deepEqual(await tail.read(), []);
    appendFileSync(path, `${full.slice(60)}\n`);
    assert.deepEqual(await tail.read(), [{ kind: 'replication-error', at: ts(0), line: full }]);
  });

  it('a missing file reads as nothing; once it appears, it is read from the start', async () => {
    const path = tempLog();
    const tail = new LogTail(path);
    await tail.mark();
    assert.deepEqual(await tail.read(), []);
    writeFileSync(path, `${ts(0)} ${SAMPLES[3]![1]}\n`);
    assert.deepEqual(
      (await tail.read()).map((m) => m.kind),
      ['uncaught'],
    );
  });

  it('property: however the log is cut into appends, the tail finds the matches of every complete line', async () => {
    const lines = [
      ...SAMPLES.map(([, text], i) => `${ts(i)} ${text}`),
      ...NEUTRAL.filter(Boolean).map((text, i) => `${ts(100 + i)} ${text}`),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(lines, { minLength: 1 }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 6 }),
        async (chosen, cuts) => {
          const text = `${chosen.join('\n')}\n`;
          const path = tempLog();
          writeFileSync(path, '');
          const tail = new LogTail(path);
          await tail.mark();
          const points = [...new Set(cuts.map((c) => c % text.length))].sort((a, b) => a - b);
          const found = [];
          let at = 0;
          for (const point of [...points, text.length]) {
            appendFileSync(path, text.slice(at, point));
            at = point;
            found.push(...(await tail.read()));
          }
          assert.deepEqual(found, scanLogText(text));
          rmSync(path);
        },
      ),
      { numRuns: 60 },
    );
  });
});
