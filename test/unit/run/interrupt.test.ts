/** Ctrl-C: the first SIGINT or SIGTERM aborts the work's signal (the run then ends itself); handlers are removed after. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interruptible } from '../../../src/run/interrupt.js';

describe('interruptible', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} aborts the work's signal and calls onInterrupt once; the work still returns its result`, async () => {
      const before = process.listenerCount(signal);
      let interrupts = 0;
      const result = await interruptible(
        async (abort) => {
          assert.equal(process.listenerCount(signal), before + 1);
          assert.equal(abort.aborted, false);
          process.emit(signal, signal);
          assert.equal(abort.aborted, true);
          return 'partial result';
        },
        () => interrupts++,
      );
      assert.equal(result, 'partial result');
      assert.equal(interrupts, 1);
      assert.equal(process.listenerCount(signal), before, 'handler removed');
    });
  }

  it('removes its handlers when the work throws too', async () => {
    const before = process.listenerCount('SIGINT');
    await assert.rejects(
      interruptible(async () => {
        throw new Error('failed');
      }),
      /failed/,
    );
    assert.equal(process.listenerCount('SIGINT'), before);
  });
});
