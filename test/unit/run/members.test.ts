/** --fan-out members: where a member's operations API is looked for when only its replication URL is known. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { operationsCandidates } from '../../../src/run/members.js';

describe('member operations URLs derived from a replication URL', () => {
  it('tries the same port (Harper serves replication on the operations port when no replication port is set), then 9925', () => {
    assert.deepEqual(operationsCandidates('ws://10.0.0.2:9925'), ['http://10.0.0.2:9925']);
    assert.deepEqual(operationsCandidates('wss://node-b:9933'), [
      'https://node-b:9933',
      'https://node-b:9925',
    ]);
    assert.deepEqual(operationsCandidates('ws://[::1]:9933'), ['http://[::1]:9933', 'http://[::1]:9925']);
    assert.deepEqual(operationsCandidates('wss://node-b'), ['https://node-b:9925']);
    assert.deepEqual(operationsCandidates('not a url'), []);
  });
});
