import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pack, unpack } from 'msgpackr';
import { Command } from '../../../src/protocol/codes.js';
import {
  decodeControlFrame,
  encodeCommittedUpdate,
  encodeControl,
} from '../../../src/protocol/control-frame.js';
import { redactOperationFrame } from '../../../src/run/proxy-run.js';
import { goldenBytes, goldenFrames } from '../support.js';

const REDACTED = '[redacted]';

/** harperdb's add_node_back request (golden 4.7.29 bytes) with `authorization` set as a node with retain_authorization sends it. */
function addNodeBack(authorization: unknown): Buffer {
  const [code, request] = unpack(goldenBytes('b.add_node_back')) as [number, Record<string, unknown>];
  return pack([code, { ...request, authorization }]);
}

const CREDENTIALS: Array<[string, unknown]> = [
  ['a Basic header value', 'Basic YWRtaW46czNjcmV0LXBhc3N3b3Jk'],
  ['a username and password', { username: 'admin', password: 's3cret-password' }],
  ['a token', 'Bearer eyJhbGciOiJIUzI1NiJ9.s3cret-token'],
  ['an empty string', ''],
  ['a number', 12_345],
];

describe('redactOperationFrame: frames with credentials', () => {
  for (const [what, credential] of CREDENTIALS) {
    it(`add_node_back carrying ${what}: authorization is blanked, the rest kept`, () => {
      const frame = addNodeBack(credential);
      const copy = Buffer.from(frame);
      const out = redactOperationFrame(frame);
      assert.ok(frame.equals(copy), 'the input is not modified');
      const [code, request] = unpack(out) as [number, Record<string, unknown>];
      assert.equal(code, Command.OPERATION_REQUEST);
      const [, original] = unpack(frame) as [number, Record<string, unknown>];
      assert.deepEqual(request, { ...original, authorization: REDACTED });
      // Keys harperdb sends as undefined (csr, cert_auth) survive as keys.
      assert.ok('csr' in request && request.csr === undefined);
      for (const secret of ['YWRtaW46czNjcmV0', 's3cret-password', 's3cret-token']) {
        assert.equal(out.indexOf(secret), -1, `${secret} is not in the output`);
      }
      // Still a well-formed frame of the same type.
      const decoded = decodeControlFrame(out);
      assert.equal(decoded.type, 'OPERATION_REQUEST');
    });
  }

  it('an operation response carrying authorization is blanked too', () => {
    const frame = encodeControl(Command.OPERATION_RESPONSE, {
      requestId: 3,
      nodeName: 'peer',
      authorization: { username: 'admin', password: 'pw-in-response' },
    });
    const out = redactOperationFrame(frame);
    assert.equal(out.indexOf('pw-in-response'), -1);
    assert.deepEqual(unpack(out), [
      Command.OPERATION_RESPONSE,
      { requestId: 3, nodeName: 'peer', authorization: REDACTED },
    ]);
  });

  it('already redacted frames stay as they are (redaction is idempotent)', () => {
    const once = redactOperationFrame(addNodeBack('Basic c2VjcmV0'));
    const twice = redactOperationFrame(once);
    assert.ok(twice.equals(once));
  });
});

describe('redactOperationFrame: frames without credentials pass through untouched', () => {
  it('every golden 4.7.29 frame comes back as the same buffer (add_node_back has authorization null)', () => {
    const frames = goldenFrames();
    assert.ok(frames.some((f) => f.name === 'b.add_node_back'));
    for (const f of frames) {
      const bytes = Buffer.from(f.hex, 'hex');
      assert.equal(redactOperationFrame(bytes), bytes, f.name);
    }
  });

  it('table: other control frames, transactions, empty, malformed and absent authorization', () => {
    const cases: Array<[string, Buffer]> = [
      ['empty message', Buffer.alloc(0)],
      ['transaction frame', goldenBytes('a.txn_insert_2')],
      ['committed update', encodeCommittedUpdate(1.5)],
      [
        'operation request without authorization',
        encodeControl(Command.OPERATION_REQUEST, { operation: 'x', requestId: 1 }),
      ],
      [
        'authorization undefined',
        encodeControl(Command.OPERATION_REQUEST, { operation: 'x', authorization: undefined }),
      ],
      [
        'operation response without authorization',
        encodeControl(Command.OPERATION_RESPONSE, { requestId: 1 }),
      ],
      [
        'operation response with an error',
        encodeControl(Command.OPERATION_RESPONSE, { requestId: 1, error: 'no' }),
      ],
      ['operation code alone', encodeControl(Command.OPERATION_REQUEST)],
      ['not MessagePack after the code', Buffer.from([0x92, 0xcc, 0x88, 0xc1, 0xc1])],
      ['truncated', addNodeBack('Basic c2VjcmV0').subarray(0, 3)],
      // Another command whose body happens to have an authorization key: not an operation frame.
      [
        'NODE_NAME with an authorization key',
        encodeControl(Command.NODE_NAME, 'n', 'data', [], { authorization: 'x' }),
      ],
    ];
    for (const [what, bytes] of cases) assert.equal(redactOperationFrame(bytes), bytes, what);
  });

  // JSON bodies whose keys are never `authorization`.
  const body = fc.dictionary(
    fc
      .string({ minLength: 1, maxLength: 12 })
      .filter((key) => !/^(authorization|password)$/i.test(key) && key !== '__proto__'),
    fc.jsonValue({ maxDepth: 2 }),
    { maxKeys: 8 },
  );

  it('property: operation frames without a credential come back as the same bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(Command.OPERATION_REQUEST, Command.OPERATION_RESPONSE),
        body,
        fc.string(),
        fc.constantFrom('absent', 'null'),
        (code, fields, operation, authorization) => {
          const message = {
            ...fields,
            operation,
            ...(authorization === 'null' ? { authorization: null } : {}),
          };
          const frame = encodeControl(code, message);
          const out = redactOperationFrame(frame);
          assert.equal(out, frame);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: any message that is not an operation frame comes back as the same buffer', () => {
    const notOperation = fc.uint8Array({ maxLength: 200 }).filter((bytes) => {
      const code = bytes[1] === 0xcc ? bytes[2] : bytes[1];
      return !(bytes.length > 0 && bytes[0]! > 0x7f && (code === 136 || code === 137));
    });
    fc.assert(
      fc.property(notOperation, (bytes) => {
        const message = Buffer.from(bytes);
        assert.equal(redactOperationFrame(message), message);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('redactOperationFrame: credentials wherever they are', () => {
  const cases: Array<[string, Buffer]> = [
    [
      'a request without an operation name',
      pack([Command.OPERATION_REQUEST, { authorization: 'Basic c2VjcmV0' }]),
    ],
    [
      'a command code encoded as uint16',
      Buffer.concat([
        Buffer.from([0x92, 0xcd, 0x00, Command.OPERATION_REQUEST]),
        pack({ authorization: 'Basic c2VjcmV0' }),
      ]),
    ],
    [
      'a nested node entry',
      pack([Command.OPERATION_REQUEST, { operation: 'x', nodes: [{ authorization: 'Basic c2VjcmV0' }] }]),
    ],
    ['a capitalised key', pack([Command.OPERATION_RESPONSE, { Authorization: 'Basic c2VjcmV0' }])],
    ['a password field', pack([Command.OPERATION_REQUEST, { operation: 'x', password: 'c2VjcmV0' }])],
  ];
  for (const [what, frame] of cases) {
    it(`${what}: blanked`, () => {
      const out = redactOperationFrame(frame);
      assert.equal(out.indexOf('c2VjcmV0'), -1);
      assert.ok(out.indexOf(REDACTED) > 0);
    });
  }

  it('elements after the body are kept', () => {
    const frame = pack([
      Command.OPERATION_REQUEST,
      { operation: 'add_node_back', authorization: 'Basic c2VjcmV0' },
      7,
      'tail',
    ]);
    assert.deepEqual(unpack(redactOperationFrame(frame)), [
      Command.OPERATION_REQUEST,
      { operation: 'add_node_back', authorization: REDACTED },
      7,
      'tail',
    ]);
  });
});

describe('redactOperationFrame: property', () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9]{8,24}$/).map((s) => `SECRET-${s}`);
  const credential = fc.oneof(
    secret.map((s) => `Basic ${Buffer.from(`admin:${s}`).toString('base64')}#${s}`),
    fc
      .tuple(fc.stringMatching(/^[a-z]{1,8}$/), secret)
      .map(([username, password]) => ({ username, password })),
    secret,
  );
  const body = fc.dictionary(
    fc.stringMatching(/^[a-z_]{1,12}$/).filter((key) => key !== 'authorization' && key !== 'password'),
    fc.jsonValue({ maxDepth: 2 }).filter((value) => !JSON.stringify(value ?? null).includes('SECRET')),
    { maxKeys: 8 },
  );

  it('no credential survives; every other field is kept', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(Command.OPERATION_REQUEST, Command.OPERATION_RESPONSE),
        fc.stringMatching(/^[a-z_]{1,20}$/),
        body,
        credential,
        (code, operation, fields, authorization) => {
          const message =
            code === Command.OPERATION_REQUEST
              ? { operation, ...fields, authorization }
              : { ...fields, authorization };
          const frame = encodeControl(code, message);
          const out = redactOperationFrame(frame);
          assert.equal(out.indexOf('SECRET-'), -1, 'the credential is gone');
          const expected = unpack(frame) as [number, Record<string, unknown>];
          expected[1].authorization = REDACTED;
          assert.deepEqual(unpack(out), expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
