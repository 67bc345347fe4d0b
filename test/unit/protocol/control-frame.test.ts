import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pack } from 'msgpackr';
import { registerBlobExtension } from '../../../src/protocol/blob.js';
import { Command, commandName } from '../../../src/protocol/codes.js';
import {
  type ControlFrame,
  decodeControlFrame,
  encodeCommittedUpdate,
  encodeControl,
  encodeDisconnect,
  encodeNodeIdMap,
  encodeNodeName,
  encodeOperationResponse,
  encodeSubscriptionRequest,
  encodeTableStructure,
  isControlFrame,
} from '../../../src/protocol/control-frame.js';
import { CodecError } from '../../../src/protocol/varint.js';
import {
  expectCodecError,
  golden,
  goldenBytes,
  goldenFrames,
  randomBytes,
  randomInt,
  seeded,
  tailOf,
} from '../support.js';

function decodeAs<T extends ControlFrame['type']>(name: string, type: T): Extract<ControlFrame, { type: T }> {
  const frame = decodeControlFrame(goldenBytes(name));
  assert.equal(frame.type, type, name);
  return frame as Extract<ControlFrame, { type: T }>;
}

const KNOWN_TYPES = new Set<string>([...Object.keys(Command), 'UNKNOWN']);

describe('control frames: golden 4.7.29 frames decode', () => {
  const controlFrames = goldenFrames().filter((f) => Buffer.from(f.hex, 'hex')[0]! > 0x7f);

  it('the fixture holds control frames of both directions', () => {
    assert.ok(controlFrames.length >= 15);
    assert.ok(controlFrames.some((f) => f.direction === 'tool->node'));
    assert.ok(controlFrames.some((f) => f.direction === 'node->tool'));
  });

  for (const f of controlFrames) {
    it(`${f.name} decodes to the type of its command code`, () => {
      const bytes = Buffer.from(f.hex, 'hex');
      assert.ok(isControlFrame(bytes));
      const decoded = decodeControlFrame(bytes);
      const code = (f.decoded as unknown[])[0] as number;
      assert.equal(decoded.type, commandName(code));
    });
  }

  it('NODE_NAME answers carry node name, database and table descriptors', () => {
    const answer = decodeAs('a.node_name_answer', 'NODE_NAME');
    assert.equal(answer.nodeName, 'node-G');
    assert.equal(answer.database, 'data');
    assert.equal(answer.tables.length, 1);
    assert.equal(answer.tables[0]!.table, 'dog');
    assert.equal(answer.tables[0]!.schemaDefined, true);
    assert.deepEqual(
      answer.tables[0]!.attributes!.map((a) => [a.name, a.type, a.isPrimaryKey]),
      [
        ['id', 'ID', true],
        ['name', 'String', undefined],
        ['age', 'Int', undefined],
      ],
    );
    assert.equal(answer.setup, undefined);

    const hello = decodeAs('a.tool_node_name', 'NODE_NAME');
    assert.equal(hello.nodeName, 'golden-capture');
    assert.equal(hello.database, 'data');
    assert.deepEqual(hello.tables, []);

    const system = decodeAs('b.node_name_system', 'NODE_NAME');
    assert.equal(system.database, 'system');
    assert.equal(system.tables.length, 18);
    assert.equal(system.tables[0]!.table, 'hdb_analytics');
  });

  it('SUBSCRIPTION_REQUEST frames carry startTime and isLeader', () => {
    const data = decodeAs('b.subscription_request_data', 'SUBSCRIPTION_REQUEST');
    assert.equal(data.subscriptions.length, 1);
    const sub = data.subscriptions[0]!;
    assert.equal(sub.name, 'fake-peer');
    assert.equal(sub.startTime, 0);
    assert.equal(sub.isLeader, true);
    assert.equal(sub.replicateByDefault, true);
    assert.deepEqual(sub.tables, []);
    assert.equal(data.excludedNodes, undefined);

    const system = decodeAs('b.subscription_request_system', 'SUBSCRIPTION_REQUEST');
    assert.deepEqual(system.subscriptions[0]!.tables, [
      'hdb_analytics',
      'hdb_certificate',
      'hdb_info',
      'hdb_job',
      'hdb_raw_analytics',
      'hdb_session_will',
      'hdb_temp',
      'hdb_status',
    ]);

    const tool = decodeAs('a.subscription_request', 'SUBSCRIPTION_REQUEST');
    assert.equal(tool.subscriptions[0]!.name, 'node-G');
    assert.equal(tool.subscriptions[0]!.startTime, 1795327099666);
  });

  it('NODE_NAME_TO_ID_MAP and DB_SCHEMA', () => {
    const map = decodeAs('a.node_name_to_id_map', 'NODE_NAME_TO_ID_MAP');
    assert.deepEqual(map.nodeIds, { 'node-G': 0 });
    assert.deepEqual(map.subscribedNames, ['node-G']);
    const toolMap = decodeAs('b.tool_node_name_to_id_map', 'NODE_NAME_TO_ID_MAP');
    assert.deepEqual(toolMap.nodeIds, { 'fake-peer': 0 });

    const schema = decodeAs('a.db_schema', 'DB_SCHEMA');
    assert.equal(schema.database, 'data');
    assert.equal(schema.tables.length, 1);
    assert.equal(schema.tables[0]!.table, 'dog');
    assert.equal(schema.requestIdEcho, undefined);
  });

  it('TABLE_FIXED_STRUCTURE from the node: table 1 "dog" with typed structs', () => {
    const frame = decodeAs('a.table_fixed_structure', 'TABLE_FIXED_STRUCTURE');
    assert.equal(frame.tableId, 1);
    assert.equal(frame.tableName, 'dog');
    assert.deepEqual(frame.structure.typedStructs, [
      [
        [3, 0, 'id'],
        [3, 1, 'name'],
        [0, 1, 'age'],
      ],
    ]);
    assert.deepEqual(frame.structure.structures, []);
    assert.equal(frame.structure.schemaDefined, true);
    assert.deepEqual(
      frame.structure.attributes.map((a) => a.name),
      ['id', 'name', 'age'],
    );
    assert.equal(frame.structure.attributes[0]!.tableId, 1);

    const tool = decodeAs('b.tool_table_fixed_structure', 'TABLE_FIXED_STRUCTURE');
    assert.equal(tool.tableId, 9);
    assert.equal(tool.tableName, 'dog');
    assert.deepEqual(tool.structure.structures, [['id', 'name', 'age']]);
    assert.deepEqual(tool.structure.typedStructs, []);
    assert.equal(tool.structure.schemaDefined, false);
  });

  it('OPERATION_REQUEST / OPERATION_RESPONSE (add_node_back, remove_node_back)', () => {
    const add = decodeAs('b.add_node_back', 'OPERATION_REQUEST');
    assert.equal(add.request.operation, 'add_node_back');
    assert.equal(add.request.requestId, 1);
    assert.equal(add.request.hostname, 'node-G');
    assert.equal(add.request.url, 'ws://127.0.0.1:47402');
    assert.equal(add.request.authorization, null);

    const remove = decodeAs('b.remove_node_back', 'OPERATION_REQUEST');
    assert.equal(remove.request.operation, 'remove_node_back');
    assert.equal(remove.request.name, 'fake-peer');

    const response = decodeAs('b.add_node_back_response', 'OPERATION_RESPONSE');
    assert.deepEqual(response.response, { requestId: 1, nodeName: 'fake-peer' });
  });

  it('COMMITTED_UPDATE echoes the tail of the acknowledged txn frame', () => {
    const nodeAck = decodeAs('b.committed_update', 'COMMITTED_UPDATE');
    assert.equal(nodeAck.sequenceId, tailOf(goldenBytes('b.tool_txn_put')));
    assert.equal(nodeAck.sequenceId, 1795327117408.5);
    const toolAck = decodeAs('a.committed_update', 'COMMITTED_UPDATE');
    assert.equal(toolAck.sequenceId, tailOf(goldenBytes('a.txn_insert_2')));
  });
});

describe('control frames: the tool encoders reproduce the golden bytes', () => {
  const cases: [string, () => Buffer][] = [
    ['a.tool_node_name', () => encodeNodeName('golden-capture', 'data', [])],
    ['b.node_name_answer_data', () => encodeNodeName('fake-peer', 'data')],
    ['b.node_name_answer_system', () => encodeNodeName('fake-peer', 'system', [])],
    [
      'a.subscription_request',
      () =>
        encodeSubscriptionRequest([
          { name: 'node-G', replicateByDefault: true, tables: [], startTime: 1795327099666 },
        ]),
    ],
    ['a.committed_update', () => encodeCommittedUpdate(tailOf(goldenBytes('a.txn_insert_2')))],
    ['b.add_node_back_response', () => encodeOperationResponse({ requestId: 1, nodeName: 'fake-peer' })],
    ['b.remove_node_back_response', () => encodeOperationResponse({ requestId: 1, nodeName: 'fake-peer' })],
    ['b.tool_node_name_to_id_map', () => encodeNodeIdMap({ 'fake-peer': 0 }, ['fake-peer'])],
    [
      'b.tool_table_fixed_structure',
      () =>
        encodeTableStructure(
          {
            typedStructs: [],
            structures: [['id', 'name', 'age']],
            attributes: [{ name: 'id', isPrimaryKey: true }],
            schemaDefined: false,
          },
          9,
          'dog',
        ),
    ],
    // Frames the node sent, rebuilt from their decoded form with the same plain-msgpack encoder.
    ['b.committed_update', () => encodeCommittedUpdate(1795327117408.5)],
    ['a.node_name_to_id_map', () => encodeNodeIdMap({ 'node-G': 0 }, ['node-G'])],
  ];

  for (const [name, build] of cases) {
    it(`${name} is byte-identical`, () => {
      assert.equal(build().toString('hex'), golden(name).hex);
    });
  }

  it('every tool->node control frame re-encodes from its decoded elements', () => {
    const toolFrames = goldenFrames().filter(
      (f) => f.direction === 'tool->node' && Buffer.from(f.hex, 'hex')[0]! > 0x7f,
    );
    assert.ok(toolFrames.length >= 8);
    for (const f of toolFrames) {
      const [code, ...elements] = f.decoded as [number, ...unknown[]];
      assert.equal(encodeControl(code, ...elements).toString('hex'), f.hex, f.name);
    }
  });

  it('encodeDisconnect is [142] and decodes as DISCONNECT', () => {
    const bytes = encodeDisconnect();
    assert.equal(bytes.toString('hex'), '91cc8e');
    assert.deepEqual(decodeControlFrame(bytes), { type: 'DISCONNECT' });
  });

  it('round-trips encoders through decodeControlFrame', () => {
    const map = decodeControlFrame(encodeNodeIdMap({ a: 0, b: 7 }, ['a']));
    assert.deepEqual(map, { type: 'NODE_NAME_TO_ID_MAP', nodeIds: { a: 0, b: 7 }, subscribedNames: ['a'] });
    const ack = decodeControlFrame(encodeCommittedUpdate(123.25));
    assert.deepEqual(ack, { type: 'COMMITTED_UPDATE', sequenceId: 123.25 });
  });
});

describe('control frames: lenient decoding of optional parts', () => {
  it('COMMITTED_UPDATE with nil or no sequence id gives null', () => {
    assert.deepEqual(decodeControlFrame(pack([144, null])), { type: 'COMMITTED_UPDATE', sequenceId: null });
    assert.deepEqual(decodeControlFrame(pack([144])), { type: 'COMMITTED_UPDATE', sequenceId: null });
  });

  it('5.2 extras are kept: excludedNodes/requestId, setup, COPY_START without a version', () => {
    const sub = decodeControlFrame(pack([129, [{ name: 'n', startTime: 1 }], ['x'], 7]));
    assert.equal(sub.type, 'SUBSCRIPTION_REQUEST');
    if (sub.type === 'SUBSCRIPTION_REQUEST') {
      assert.deepEqual(sub.excludedNodes, ['x']);
      assert.equal(sub.requestId, 7);
    }
    const hello = decodeControlFrame(pack([140, 'n', 'db', [], { subscriptionSetupAck: true }]));
    assert.equal(hello.type, 'NODE_NAME');
    if (hello.type === 'NODE_NAME') assert.deepEqual(hello.setup, { subscriptionSetupAck: true });
    // harper-pro d2a193f replication/replicationConnection.ts:4218: "undefined from a pre-versioning leader".
    assert.deepEqual(decodeControlFrame(pack([148, 5])), { type: 'COPY_START', copyStartTime: 5 });
    assert.deepEqual(decodeControlFrame(pack([149])), { type: 'COPY_COMPLETE' });
    assert.deepEqual(decodeControlFrame(pack([143, 9])), { type: 'SEQUENCE_ID_UPDATE', sequenceId: 9 });
    assert.deepEqual(decodeControlFrame(pack([130, ['a', 'b'], 3])), {
      type: 'RESIDENCY_LIST',
      nodeNames: ['a', 'b'],
      residencyId: 3,
    });
    assert.deepEqual(decodeControlFrame(pack([133, 1, 2, 'k', 'dog'])), {
      type: 'GET_RECORD',
      requestId: 1,
      tableId: 2,
      recordId: 'k',
      tableName: 'dog',
    });
  });

  it('unknown codes decode as UNKNOWN keeping their elements', () => {
    assert.deepEqual(decodeControlFrame(pack([200, 'x'])), { type: 'UNKNOWN', code: 200, elements: ['x'] });
    assert.deepEqual(decodeControlFrame(pack([131])), { type: 'UNKNOWN', code: 131, elements: [] });
    assert.deepEqual(decodeControlFrame(pack([0, 1, 2])), { type: 'UNKNOWN', code: 0, elements: [1, 2] });
  });

  it('isControlFrame looks at the first byte only', () => {
    assert.equal(isControlFrame(Buffer.from([0x80])), true);
    assert.equal(isControlFrame(Buffer.from([0x7f, 0xff])), false);
    assert.equal(isControlFrame(Buffer.alloc(0)), false);
    assert.equal(isControlFrame(goldenBytes('a.txn_insert_2')), false);
  });
});

describe('control frames: malformed input throws CodecError', () => {
  const notFrames: [string, Buffer][] = [
    ['invalid msgpack byte c1', Buffer.from([0xc1])],
    ['truncated array', Buffer.from([0x92, 0xcc])],
    ['truncated string', Buffer.from([0x92, 0xcc, 0x8c, 0xa5, 0x61])],
    ['empty input', Buffer.alloc(0)],
    ['a map', pack({ a: 1 })],
    ['a string', pack('hello')],
    ['a number', pack(144)],
    ['an empty array', pack([])],
    ['array starting with a string', pack(['x', 1])],
    ['array starting with nil', pack([null, 1])],
    ['array starting with an array', pack([[144], 1])],
  ];
  for (const [label, bytes] of notFrames) {
    it(`rejects ${label}`, () => {
      expectCodecError(() => decodeControlFrame(bytes), label);
    });
  }

  const wrongShapes: unknown[][] = [
    [129, 'x'],
    [129, [{}]],
    [129, [{ name: 5 }]],
    [129, ['node']],
    [129, [{ name: 'a', startTime: 0 }], [1]],
    [130, 'x', 1],
    [130, ['a'], 'x'],
    [132, 'x', 1, 'dog'],
    [132, [], 1, 'dog'],
    [132, {}, 'x', 'dog'],
    [132, {}, 1, 2],
    [132, {}, 1],
    [133, 'x', 1, 'k'],
    [133, 1, 'x', 'k'],
    [134, 'x'],
    [136, {}],
    [136, 'add_node_back'],
    [136, { operation: 5 }],
    [137, 'x'],
    [137, [1]],
    [140],
    [140, 1, 'data', []],
    [140, 'node', 2, []],
    [141, { a: 'x' }, []],
    [141, 'x', []],
    [141, [0], []],
    [143],
    [143, 'x'],
    [144, 'x'],
    [144, { seq: 1 }],
    [145, 'x', 'data'],
    [145, [], 1],
    [146, {}, Buffer.from([1])],
    [146, { fileId: 1 }, Buffer.from([1])],
    [146, 'x'],
    [147, 'x'],
    [148, 'x'],
    [148],
  ];
  for (const elements of wrongShapes) {
    it(`rejects ${JSON.stringify(elements)}`, () => {
      const error = expectCodecError(() => decodeControlFrame(pack(elements)));
      assert.match(error.message, /malformed/);
    });
  }

  it('2000 seeded random buffers starting with 0x90–0x9f give a ControlFrame or a CodecError', () => {
    registerBlobExtension(); // ext 11 payload garbage must be contained too
    const random = seeded(2024);
    let frames = 0;
    let errors = 0;
    const codes = Object.values(Command);
    for (let i = 0; i < 2000; i++) {
      const length = randomInt(random, 0, 48);
      const body = randomBytes(random, length);
      // Half the buffers start with a real command code so the shape checks of known frames run.
      const prefix =
        i % 2 === 0
          ? Buffer.from([0x90 | randomInt(random, 0, 15)])
          : Buffer.from([
              0x90 | randomInt(random, 1, 15),
              0xcc,
              codes[randomInt(random, 0, codes.length - 1)]!,
            ]);
      const bytes = Buffer.concat([prefix, body]);
      let result: ControlFrame | undefined;
      try {
        result = decodeControlFrame(bytes);
      } catch (error) {
        assert.ok(
          error instanceof CodecError,
          `${bytes.toString('hex')}: ${(error as Error).constructor.name}: ${(error as Error).message}`,
        );
        errors++;
        continue;
      }
      assert.ok(KNOWN_TYPES.has(result.type), `${bytes.toString('hex')} gave type ${result.type}`);
      frames++;
    }
    assert.equal(frames + errors, 2000);
    assert.ok(frames > 0, 'some random buffers decode');
    assert.ok(errors > 0, 'some random buffers are rejected');
  });

  it('every proper prefix of a golden control frame throws CodecError', () => {
    for (const f of goldenFrames()) {
      const bytes = Buffer.from(f.hex, 'hex');
      if (bytes[0]! <= 0x7f) continue;
      for (let cut = 0; cut < bytes.length; cut++) {
        expectCodecError(() => decodeControlFrame(bytes.subarray(0, cut)), `${f.name} cut at ${cut}`);
      }
    }
  });
});
