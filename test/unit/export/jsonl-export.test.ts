import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type CaptureHeader,
  type CaptureRecord,
  Direction,
  type DirectionValue,
  RecordKind,
  type RecordKindValue,
} from '../../../src/capture/format.js';
import { jsonlHeaderLine, jsonlRecordLine } from '../../../src/export/jsonl-export.js';
import { Command } from '../../../src/protocol/codes.js';
import {
  encodeCommittedUpdate,
  encodeControl,
  encodeDisconnect,
} from '../../../src/protocol/control-frame.js';
import { goldenBytes } from '../support.js';

const STARTED_AT_MS = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

const header: CaptureHeader = {
  tool: 'harper-replay',
  toolVersion: '0.1.0-test',
  formatVersion: 1,
  mode: 'proxy',
  startedAtMs: STARTED_AT_MS,
  startedAt: new Date(STARTED_AT_MS).toISOString(),
  source: { url: 'wss://source.example:9933/', nodeName: 'source' },
  database: 'data',
  future: { field: ['kept', 1] },
};

const record = (overrides: Partial<CaptureRecord> & { payload: Buffer }): CaptureRecord => ({
  kind: RecordKind.MESSAGE,
  direction: Direction.FROM_SOURCE,
  connection: 1,
  timeUs: 0,
  opcode: 2,
  offset: 100,
  ...overrides,
});

const parse = (line: string): Record<string, unknown> => {
  assert.ok(!line.includes('\n') && !line.includes('\r'), `one line: ${line.slice(0, 80)}`);
  return JSON.parse(line) as Record<string, unknown>;
};

describe('jsonlHeaderLine', () => {
  it('is one JSON line of kind header with the whole header, unknown fields included', () => {
    assert.deepEqual(parse(jsonlHeaderLine(header)), { kind: 'header', header });
  });
});

describe('jsonlRecordLine: messages', () => {
  it('names the frame type from the first bytes', () => {
    const cases: Array<[string, Buffer]> = [
      ['COMMITTED_UPDATE', encodeCommittedUpdate(1234.5)],
      ['DISCONNECT', encodeDisconnect()],
      ['OPERATION_REQUEST', encodeControl(Command.OPERATION_REQUEST, { operation: 'x' })],
      ['NODE_NAME', goldenBytes('a.node_name_answer')],
      ['TABLE_FIXED_STRUCTURE', goldenBytes('a.table_fixed_structure')],
      ['TRANSACTION', goldenBytes('a.txn_insert_2')],
      ['TRANSACTION', Buffer.from([0x00, 0x01])],
      // A control frame (first byte > 127) with a command code nobody knows.
      ['CONTROL', encodeControl(200, 'x')],
    ];
    for (const [type, payload] of cases) {
      const line = parse(jsonlRecordLine(header, record({ payload }), { payload: false }));
      assert.equal(line.type, type, payload.subarray(0, 4).toString('hex'));
      assert.equal(line.bytes, payload.length);
    }
  });

  it('has time (ISO, from the header start), timeUs, connection, offset, direction, opcode and size', () => {
    const payload = encodeCommittedUpdate(7);
    const cases: Array<{ direction: DirectionValue; timeUs: number; iso: string; name: string }> = [
      { direction: Direction.FROM_SOURCE, timeUs: 0, iso: '2025-01-02T03:04:05.678Z', name: 'from-source' },
      {
        direction: Direction.TO_SOURCE,
        timeUs: 1_500_000,
        iso: '2025-01-02T03:04:07.178Z',
        name: 'to-source',
      },
      // Sub-millisecond parts are in timeUs; the ISO time has millisecond resolution.
      {
        direction: Direction.TO_SOURCE,
        timeUs: 322_500.5,
        iso: '2025-01-02T03:04:06.000Z',
        name: 'to-source',
      },
      {
        direction: Direction.FROM_SOURCE,
        timeUs: 86_400e6,
        iso: '2025-01-03T03:04:05.678Z',
        name: 'from-source',
      },
    ];
    for (const { direction, timeUs, iso, name } of cases) {
      const line = parse(
        jsonlRecordLine(
          header,
          record({ payload, direction, timeUs, connection: 9, opcode: 1, offset: 4242 }),
          {
            payload: false,
          },
        ),
      );
      assert.deepEqual(line, {
        kind: 'message',
        time: iso,
        timeUs,
        connection: 9,
        offset: 4242,
        direction: name,
        opcode: 1,
        type: 'COMMITTED_UPDATE',
        bytes: payload.length,
      });
    }
  });

  it('carries the bytes in base64 only when asked to', () => {
    const payload = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x0a, 0x0d]);
    const without = parse(jsonlRecordLine(header, record({ payload }), { payload: false }));
    assert.equal('payload' in without, false);
    const withPayload = parse(jsonlRecordLine(header, record({ payload }), { payload: true }));
    assert.equal(withPayload.payload, 'AAEC/v8KDQ==');
    const empty = parse(jsonlRecordLine(header, record({ payload: Buffer.alloc(0) }), { payload: true }));
    assert.equal(empty.payload, '');
    assert.equal(empty.bytes, 0);
  });
});

describe('jsonlRecordLine: connection and footer records', () => {
  it('have the parsed JSON as info and no message fields', () => {
    const cases: Array<[RecordKindValue, string, object]> = [
      [RecordKind.OPEN, 'open', { role: 'proxy', url: 'wss://h/', subprotocol: 'harperdb-replication-v1' }],
      [RecordKind.CLOSE, 'close', { code: 1000, reason: 'line\nbreak "quoted"' }],
      [RecordKind.FOOTER, 'footer', { endedAtMs: 5, messages: 3, structures: [], reason: 'done' }],
    ];
    for (const [kind, name, info] of cases) {
      const payload = Buffer.from(JSON.stringify(info));
      for (const withPayload of [false, true]) {
        const line = parse(
          jsonlRecordLine(
            header,
            record({ kind, payload, opcode: 0, timeUs: 1000, connection: 2, offset: 77 }),
            {
              payload: withPayload,
            },
          ),
        );
        assert.deepEqual(line, {
          kind: name,
          time: '2025-01-02T03:04:05.679Z',
          timeUs: 1000,
          connection: 2,
          offset: 77,
          info,
        });
      }
    }
  });

  it('info is null when the record’s JSON is damaged or empty', () => {
    for (const text of ['', '{"role":', 'not json', '\u0000']) {
      const line = parse(
        jsonlRecordLine(header, record({ kind: RecordKind.OPEN, payload: Buffer.from(text) }), {
          payload: true,
        }),
      );
      assert.equal(line.info, null, JSON.stringify(text));
      assert.equal(line.kind, 'open');
    }
  });

  it('a kind this version does not know is named by its number', () => {
    const kind = 9 as RecordKindValue;
    const line = parse(
      jsonlRecordLine(header, record({ kind, payload: Buffer.from('{"a":1}') }), { payload: true }),
    );
    assert.equal(line.kind, 'kind-9');
    assert.deepEqual(line.info, { a: 1 });
  });
});

describe('jsonlRecordLine: property', () => {
  it('every message is one JSON line from which the record can be rebuilt exactly', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom(Direction.FROM_SOURCE, Direction.TO_SOURCE),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.constantFrom(1, 2),
        fc.nat(),
        (bytes, direction, connection, timeUs, opcode, offset) => {
          const payload = Buffer.from(bytes);
          const original = record({ payload, direction, connection, timeUs, opcode, offset });
          const line = parse(jsonlRecordLine(header, original, { payload: true }));
          const rebuilt: CaptureRecord = {
            kind: RecordKind.MESSAGE,
            direction: line.direction === 'from-source' ? Direction.FROM_SOURCE : Direction.TO_SOURCE,
            connection: line.connection as number,
            timeUs: line.timeUs as number,
            opcode: line.opcode as number,
            payload: Buffer.from(line.payload as string, 'base64'),
            offset: line.offset as number,
          };
          assert.deepEqual(rebuilt, original);
          assert.equal(line.bytes, payload.length);
          assert.equal(Date.parse(line.time as string), Math.floor(STARTED_AT_MS + timeUs / 1000));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('connection records with any JSON info stay one line and give the info back', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (info) => {
        const payload = Buffer.from(JSON.stringify(info));
        const line = parse(
          jsonlRecordLine(header, record({ kind: RecordKind.CLOSE, payload }), { payload: false }),
        );
        // JSON has one -0 and no undefined: compare with what the record's JSON itself parses to.
        assert.deepEqual(line.info, JSON.parse(payload.toString('utf8')));
      }),
      { numRuns: 300 },
    );
  });
});
