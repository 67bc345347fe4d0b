import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainClose } from '../../../src/protocol/close-reasons.js';

describe('close reasons', () => {
  it('close codes and reasons get a cause (5.x reasons read from the source)', () => {
    assert.match(explainClose(1011, 'missing table structure; reconnecting to resync')!, /no structure for/);
    assert.match(explainClose(1011, 'Error handling incoming replication message')!, /handler threw/);
    assert.match(explainClose(1008, 'no hdb_nodes entry for IP 127.0.0.1; run add_node …')!, /add_node/);
    assert.match(explainClose(1011, 'Replication subscription setup timed out')!, /budget/);
    assert.equal(explainClose(1000, 'bye'), undefined);
    assert.equal(explainClose(1011, 'something new'), undefined);
  });
});
