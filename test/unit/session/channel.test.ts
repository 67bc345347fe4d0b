/** The channel contract's errors: an interrupt reads "interrupted" (the run's error line), a timeout keeps its text. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbortedError, ChannelTimeoutError } from '../../../src/session/channel.js';

describe('channel errors', () => {
  it('AbortedError says "interrupted" and is told apart by class', () => {
    const error = new AbortedError();
    assert.equal(error.message, 'interrupted');
    assert.equal(error.name, 'AbortedError');
    assert.ok(error instanceof Error);
    assert.ok(!(new ChannelTimeoutError('x') instanceof AbortedError));
  });

  it('ChannelTimeoutError keeps the message it was given', () => {
    const error = new ChannelTimeoutError('no subscription from node-a within 30000 ms');
    assert.equal(error.name, 'ChannelTimeoutError');
    assert.equal(error.message, 'no subscription from node-a within 30000 ms');
  });
});
