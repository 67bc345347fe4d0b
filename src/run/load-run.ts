/**
 * One load run, start to finish, whatever the frames are (synthetic or replayed): target up, schema ready, a
 * session (peer or push), the streams with resume on reconnects (session/replication-stream.ts), verification,
 * and cleanup — also when interrupted. A stream is the workload to one member's subscription to one database: one
 * by default, one per database with --databases, one per member and database with --fan-out. Everything
 * measurable goes through the metrics bus; the result is folded from it. The phases are in load-phases.ts.
 */
import type { RunResult } from '../report/result.js';
import { LoadContext } from './load-context.js';
import type { LoadRunOptions, LoadWorkload } from './load-options.js';
import {
  announce,
  classifyFailure,
  cleanUp,
  openSession,
  openSource,
  prepareDatabases,
  resolveTargets,
  settle,
  startSamplers,
  streamAll,
  verifyLanded,
} from './load-phases.js';

export type { LoadRunOptions, LoadWorkload } from './load-options.js';

/** The run as its phases; each one's work and failure modes are in load-phases.ts. */
export async function runLoad(options: LoadRunOptions, load: LoadWorkload): Promise<RunResult> {
  const run = new LoadContext(options, load);
  announce(run);
  if (!(await openSource(run))) return run.finish(false);
  try {
    await resolveTargets(run);
    await prepareDatabases(run);
    await startSamplers(run);
    await openSession(run);
    await streamAll(run);
    await settle(run);
  } catch (caught) {
    classifyFailure(run, caught);
  }
  await verifyLanded(run);
  await cleanUp(run);
  return run.finish();
}
