/** Ctrl-C: the first SIGINT, SIGTERM or SIGHUP aborts the work's signal (the run then ends itself); handlers are removed after. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../../src/common/errors.js';
import { interruptExitCode, interruptible } from '../../../src/run/interrupt.js';

describe('interruptible', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} aborts the work's signal and calls onInterrupt once; the work still returns its result`, async () => {
      const before = process.listenerCount(signal);
      const interrupts: string[] = [];
      const result = await interruptible(
        async (abort) => {
          assert.equal(process.listenerCount(signal), before + 1);
          assert.equal(abort.aborted, false);
          process.emit(signal, signal);
          assert.equal(abort.aborted, true);
          assert.equal(abort.reason, signal, 'the reason names the signal');
          assert.equal(
            interruptExitCode(abort),
            signal === 'SIGHUP' ? ExitCode.HANGUP : ExitCode.INTERRUPTED,
          );
          return 'partial result';
        },
        (name) => interrupts.push(name),
      );
      assert.equal(result, 'partial result');
      assert.deepEqual(interrupts, [signal]);
      assert.equal(process.listenerCount(signal), before, 'handler removed');
    });
  }

  it('an abort for another reason is an ordinary interrupt (130)', () => {
    const controller = new AbortController();
    controller.abort();
    assert.equal(interruptExitCode(controller.signal), ExitCode.INTERRUPTED);
  });

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
