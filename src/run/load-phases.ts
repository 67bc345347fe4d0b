/**
 * The phases of one load run, in the order runLoad calls them. Each reads and fills the shared LoadContext and
 * reports on its bus; a phase that cannot go on throws, and classifyFailure turns what it threw into the run's
 * outcome and exit code. verifyLanded and cleanUp run whatever happened before them.
 */
import { ExitCode, HarperReplayError } from '../common/errors.js';
import { TOOL_VERSION } from '../common/version.js';
import { type MemberInfo, streamKey } from '../events/schema.js';
import { readHarperVersion, type VersionKnowledge, versionKnowledge } from '../harper/harper-versions.js';
import { TargetSamplers } from '../harper/samplers.js';
import { describeTargetFault } from '../harper/target-faults.js';
import { INSECURE_WARNING } from '../net/tls.js';
import { AckTracker } from '../session/ack-tracker.js';
import { AbortedError, ChannelTimeoutError } from '../session/channel.js';
import { listenerIdentity } from '../session/peer-pki.js';
import { PeerSession } from '../session/peer-session.js';
import { PushSessions } from '../session/push-session.js';
import { ReplicationStream } from '../session/replication-stream.js';
import { StartGate } from '../session/start-gate.js';
import { SharedClock, sleep } from '../session/stream-sender.js';
import type { FrameSource } from '../workload/synthetic.js';
import { herdStopReason, logSettleWaitMs } from './herd-rules.js';
import { interruptExitCode } from './interrupt.js';
import type { LoadContext } from './load-context.js';
import { discoverMembers } from './members.js';
import { describeTrustedCas, resolveTarget, targetError } from './target.js';

/** run-meta: what this run is, before anything is touched. */
export function announce(run: LoadContext): void {
  const { options, load, databases } = run;
  run.bus.emit({
    type: 'run-meta',
    meta: {
      ...load.describe,
      toolVersion: TOOL_VERSION,
      toolNodeName: run.toolNodeName,
      via: options.via,
      database: databases[0] ?? options.database,
      ...(databases.length > 1 ? { databases } : {}),
      ...(options.fanOut ? { fanOut: true } : {}),
      thresholds: options.thresholds ?? [],
      pauseThresholdMs: options.pauseThresholdMs ?? 50,
      blockedAfterMs: options.blockedAfterMs ?? 500,
      ...(options.shard
        ? {
            sharding: {
              runId: options.shard.runId,
              index: options.shard.spec.index,
              count: options.shard.spec.count,
              ...(options.shard.startAt !== undefined ? { startAt: options.shard.startAt } : {}),
              samplesTarget: run.samplesTarget,
            },
          }
        : {}),
    },
  });
}

/** The frame source (a capture that cannot be opened ends the run here, before any node is started). */
export async function openSource(run: LoadContext): Promise<boolean> {
  try {
    const made = await run.load.source(run.toolNodeName);
    if (made instanceof Map) {
      run.sourceByDatabase = made;
      run.source = made.values().next().value;
    } else {
      run.source = made as FrameSource;
    }
    return true;
  } catch (caught) {
    const mapped = mapRunError(caught);
    run.end('failed', mapped.exitCode, mapped.message);
    return false;
  }
}

/** The target (started when embedded), and with --fan-out its cluster members; one stream per member × database. */
export async function resolveTargets(run: LoadContext): Promise<void> {
  const { options, bus, log } = run;
  bus.emit({ type: 'phase', phase: 'starting-target' });
  log(options.target.url ? `target ${options.target.url}` : 'starting embedded harperdb 4.7.29 …');
  if (options.target.tls?.insecure) bus.emit({ type: 'warning', message: INSECURE_WARNING });
  const target = await resolveTarget(options.target);
  run.target = target;
  for (const line of describeTrustedCas(target.operationsUrl, target.trustedCas ?? [])) log(line);
  await options.onTarget?.(target);
  throwIfAborted(options.signal);
  log(
    `target node ${target.nodeName} (${target.pid ? `pid ${target.pid}, ` : ''}${target.operationsUrl}), replication ${target.replicationUrl}`,
  );
  if (options.fanOut) await findMembers(run);
  planStreams(run);
}

async function findMembers(run: LoadContext): Promise<void> {
  const { options, bus, log } = run;
  const target = run.node;
  run.members = await discoverMembers(target, options.memberUrls ?? [], options.target);
  for (const member of run.members) {
    log(
      `cluster member ${member.nodeName}: ${member.client ? `sampled at ${member.client.url}` : 'not sampled (pass --member URL for its operations API)'}`,
    );
    if (!member.client) {
      bus.emit({
        type: 'warning',
        message: `${member.nodeName} is loaded but neither sampled nor verified: no operations API found for it (pass --member URL)`,
      });
    }
  }
  if (options.via === 'push') {
    // Push dials every member itself: one whose replication URL the target does not know cannot be reached.
    for (const member of run.members.filter((m) => !m.replicationUrl)) {
      bus.emit({
        type: 'warning',
        message: `${member.nodeName} is not loaded: ${target.nodeName}'s cluster_status gives no replication URL for it`,
      });
    }
    run.members = run.members.filter((m) => m.replicationUrl);
  }
}

function planStreams(run: LoadContext): void {
  const memberNames = [...run.clients.keys()];
  const many = memberNames.length * run.databases.length > 1;
  run.streams = memberNames.flatMap((member) =>
    run.databases.map((database) => {
      const source = run.sourceFor(database);
      return {
        plan: {
          stream: streamKey(member, database),
          member,
          database,
          ...(run.sourceByDatabase ? { frames: source.frameCount } : {}),
          ...(source.connection !== undefined ? { connection: source.connection } : {}),
        },
        route: { member, database },
        // An open-ended source's count is final only once its time is up: the tracker reads it each time.
        tracker: new AckTracker(source.endsBefore ? () => source.frameCount : source.frameCount, (index) =>
          source.sequenceId(index),
        ),
        source,
        prefix: many ? `${streamKey(member, database)}: ` : '',
      };
    }),
  );
}

/** The workload's one-time checks, then every database of every sampled member made ready for it. */
export async function prepareDatabases(run: LoadContext): Promise<void> {
  run.bus.emit({ type: 'phase', phase: 'preparing' });
  run.load.check?.(run.bus);
  for (const client of run.clients.values()) {
    if (!client) continue;
    for (const database of run.databases) await run.load.prepare(client, database, run.bus);
  }
  throwIfAborted(run.options.signal);
}

/** Memory, queue, probe and log samplers on the target (and each sampled member); run-start. */
export async function startSamplers(run: LoadContext): Promise<void> {
  const { options, bus } = run;
  const target = run.node;
  const primary = new TargetSamplers({
    bus,
    client: target.client,
    pid: target.pid,
    logFile: target.embedded?.logFile,
    sysinfoIntervalMs: options.sysinfoIntervalMs,
    ...clusterStatus(options),
    toolBuffered: run.toolBuffered,
    watchNode: target.nodeName,
    // Shards other than 0 leave the target's memory, log and cluster status to shard 0 (merged, not summed).
    targetMemory: run.samplesTarget,
  });
  run.samplers.push(primary);
  for (const member of run.members) {
    if (!member.client || !run.samplesTarget) continue;
    run.samplers.push(
      new TargetSamplers({
        bus,
        client: member.client,
        sysinfoIntervalMs: options.sysinfoIntervalMs,
        ...clusterStatus(options),
        toolBuffered: run.toolBuffered,
        watchNode: member.nodeName,
        member: member.nodeName,
      }),
    );
  }
  for (const sampler of run.samplers) await sampler.start();
  primary.targetLost.then((reason) => {
    run.targetLost = reason;
    run.stop.abort();
  });
  run.baselineUntil = Date.now() + (options.baselineMs ?? 1000);
  emitRunStart(run, versionKnowledge(await readHarperVersion(target.client)));
}

/** cluster_status sampling: 1 s unless set (0 turns it off). */
function clusterStatus(options: LoadContext['options']): { clusterStatusIntervalMs: number } {
  return { clusterStatusIntervalMs: options.clusterStatusIntervalMs ?? 1000 };
}

function emitRunStart(run: LoadContext, harper: VersionKnowledge): void {
  const target = run.node;
  run.bus.emit({
    type: 'run-start',
    // An open-ended run has no planned count (run-meta's workload.openEnded): 0 until the frames sent say.
    frames: run.openEnded ? 0 : run.totalFrames,
    records: run.openEnded ? 0 : run.totalRecords,
    target: {
      nodeName: target.nodeName,
      operationsUrl: target.operationsUrl,
      replicationUrl: target.replicationUrl,
      embedded: target.embedded !== undefined,
      local: target.pid !== undefined,
      ...(target.pid !== undefined ? { pid: target.pid } : {}),
      ...(target.embedded ? { rootDir: target.embedded.baseDir } : {}),
      ...(target.loggingLevel ? { loggingLevel: target.loggingLevel } : {}),
      harper,
      ...(run.options.target.embedded?.faults?.length
        ? { faults: run.options.target.embedded.faults.map(describeTargetFault) }
        : {}),
    },
    streams: run.streams.map((s) => s.plan),
    ...(run.options.fanOut
      ? {
          members: [
            { nodeName: target.nodeName, operationsUrl: target.operationsUrl, sampled: true },
            ...run.members.map(
              (m): MemberInfo => ({
                nodeName: m.nodeName,
                ...(m.client ? { operationsUrl: m.client.url } : {}),
                sampled: m.client !== undefined,
              }),
            ),
          ],
        }
      : {}),
  });
}

/** Peer mode: listen and have the target add us (it dials); push mode: a session per member and database. */
export async function openSession(run: LoadContext): Promise<void> {
  const { options, bus, toolNodeName, databases } = run;
  const target = run.node;
  if (options.via === 'peer') {
    const peer = new PeerSession({
      client: target.client,
      targetNodeName: target.nodeName,
      databases,
      fanOut: options.fanOut,
      toolNodeName,
      listenHost: options.listenHost,
      listenPort: options.listenPort,
      highWaterMark: options.highWaterMark,
      bus,
      ...(options.listenTls
        ? { tls: listenerIdentity(options.listenTls, toolNodeName, options.listenHost) }
        : {}),
    });
    run.session = peer;
    bus.emit({ type: 'phase', phase: 'waiting-for-subscription' });
    await peer.start();
    run.log(`listening on ${peer.url} as ${toolNodeName}; added to ${target.nodeName} with add_node`);
    return;
  }
  const urls = new Map([
    [target.nodeName, target.replicationUrl],
    ...run.members.flatMap(
      (m): Array<[string, string]> => (m.replicationUrl ? [[m.nodeName, m.replicationUrl]] : []),
    ),
  ]);
  run.session = new PushSessions(
    urls,
    databases,
    { member: target.nodeName, database: databases[0] ?? options.database },
    {
      authorization: target.authorization,
      tls: target.replicationTls,
      toolNodeName,
      highWaterMark: options.highWaterMark,
      bus,
    },
  );
}

/** After the memory baseline, every stream at once; the first failure (an interrupt before all) ends the run. */
export async function streamAll(run: LoadContext): Promise<void> {
  const { options } = run;
  const provider = run.session as NonNullable<LoadContext['session']>;
  const baselineLeft = run.baselineUntil - Date.now();
  if (baselineLeft > 0) await sleep(baselineLeft, run.stop.signal);
  const gate = startGate(run);
  // With --start-at every shard's schedule starts at the common instant: the shards' frames keep their due times.
  const clock = new SharedClock(gate?.startAt);
  const unwatch = watchHerd(run);
  const settled = await Promise.allSettled(
    run.streams.map((slot) =>
      new ReplicationStream({
        provider,
        source: slot.source,
        tracker: slot.tracker,
        route: slot.route,
        label: slot.plan.stream,
        prefix: slot.prefix,
        bus: run.bus,
        signal: run.stop.signal,
        maxReconnects: options.maxReconnects,
        subscribeTimeoutMs: options.subscribeTimeoutMs,
        ackTimeoutMs: options.ackTimeoutMs,
        nudgeAfterMs: options.nudgeAfterMs,
        ...(options.dependencyWait === false ? { dependencyWait: false } : {}),
        rate: options.rate,
        policyCloseIsFatal: options.via === 'push',
        liveness: options.liveness,
        log: run.log,
        onSocket: (socket) => run.sockets.set(socket.id, socket),
        clock,
        ...(gate ? { startGate: (signal: AbortSignal) => gate.pass(signal) } : {}),
      }).run(),
    ),
  );
  unwatch();
  const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
  const first = failed.find((s) => s.reason instanceof AbortedError) ?? failed[0];
  if (first) throw first.reason;
}

/** --start-at: the gate every stream of this shard passes once subscribed (none without --start-at). */
function startGate(run: LoadContext): StartGate | undefined {
  const startAt = run.options.shard?.startAt;
  if (startAt === undefined) return undefined;
  return new StartGate(startAt, run.streams.length, (waitMs) => {
    run.bus.emit({ type: 'phase', phase: 'waiting-for-start' });
    run.log(`waiting for start at ${new Date(startAt).toISOString()} (in ${(waitMs / 1000).toFixed(1)} s)`);
  });
}

/** --until-resubscribed N: after each re-subscription, whether the Nth death's herd is complete; then stop. */
function watchHerd(run: LoadContext): () => void {
  const afterDeath = run.options.untilResubscribed;
  if (!afterDeath) return () => {};
  const subscribed = new Set<number>();
  return run.bus.subscribe((event) => {
    if (event.type !== 'connection' || run.stoppedBy) return;
    if (event.event === 'closed') subscribed.delete(event.socketId);
    if (event.event !== 'streaming') return;
    // A re-subscription's `streaming` follows its `resume`: the herd has counted it by now.
    subscribed.add(event.socketId);
    const reason = herdStopReason(run.herdDeaths, afterDeath, subscribed.size >= run.streams.length);
    if (!reason) return;
    run.stoppedBy = reason;
    run.log(`stopping: ${reason} (--until-resubscribed ${afterDeath})`);
    // Not inside the bus's emit: the streams' abort handlers run on their own turn.
    setImmediate(() => run.stop.abort());
  });
}

/** Memory still moves once the commits are done: keep sampling a little, then say which streams fell short. */
export async function settle(run: LoadContext): Promise<void> {
  run.bus.emit({ type: 'phase', phase: 'settling' });
  await sleep(run.options.settleMs ?? 1000, run.stop.signal);
  const behind = run.streams.filter((s) => !s.tracker.complete);
  if (behind.length) {
    run.end(
      'incomplete',
      ExitCode.VERIFY_FAILED,
      `${run.committedFrames} of ${run.totalFrames} frames committed (incomplete: ${behind.map((s) => s.plan.stream).join(', ')})`,
    );
  }
}

/** What a thrown phase means: the target lost, an interrupt, or an error with its exit code. */
export function classifyFailure(run: LoadContext, caught: unknown): void {
  if (run.stoppedBy) {
    run.end(
      'incomplete',
      ExitCode.VERIFY_FAILED,
      `stopped once ${run.stoppedBy} (--until-resubscribed); ${run.committedFrames} of ${run.totalFrames} frames committed`,
    );
  } else if (run.targetLost) {
    const committed = run.committedFrames;
    const resume =
      run.streams.length === 1
        ? (run.load.resumeHint?.(committed) ?? `resume point: frame ${committed}`)
        : `per stream: ${run.streams.map((s) => `${s.plan.stream} ${s.tracker.committedFrames}`).join(', ')}`;
    run.end(
      'failed',
      ExitCode.ERROR,
      `${run.targetLost} mid-run; ${committed} of ${run.totalFrames} frames committed (${resume})`,
    );
  } else if (caught instanceof AbortedError || run.options.signal.aborted) {
    const signal = run.options.signal;
    run.end(
      'interrupted',
      interruptExitCode(signal),
      signal.reason === 'SIGHUP' ? 'interrupted (SIGHUP: the terminal closed)' : 'interrupted',
    );
  } else {
    const mapped = mapRunError(caught);
    if (run.options.verbose && caught instanceof Error && caught.stack) run.log(caught.stack);
    run.end(
      mapped.exitCode === ExitCode.VERIFY_FAILED ? 'incomplete' : 'failed',
      mapped.exitCode,
      mapped.message,
    );
  }
}

/** Counts what landed in each stream's database, also after a partial run: the user wants to know. */
export async function verifyLanded(run: LoadContext): Promise<void> {
  const { load, bus } = run;
  // A run its stop rule ended sent only part of each stream: counting the records would say nothing new.
  if (!run.target || !run.options.verify || !load.verify || run.outcome === 'failed' || run.stoppedBy) return;
  bus.emit({ type: 'phase', phase: 'verifying' });
  const clients = run.clients;
  let missing = 0;
  for (const { plan, source } of run.streams) {
    const client = clients.get(plan.member);
    if (!client) continue;
    try {
      const { expectedRecords, targetRecords, sample, indexChecks } = await load.verify(
        client,
        plan.database,
      );
      const ok =
        targetRecords === expectedRecords && !sample?.mismatches && (indexChecks ?? []).every((c) => c.ok);
      bus.emit({
        type: 'verify',
        expectedRecords,
        targetRecords,
        ok,
        ...(sample ? { sample } : {}),
        ...(indexChecks ? { indexChecks } : {}),
        stream: plan.stream,
      });
      if (!ok) missing++;
    } catch (caught) {
      bus.emit({
        type: 'warning',
        message: `verification of ${plan.stream} failed: ${(caught as Error).message}`,
      });
      bus.emit({
        type: 'verify',
        expectedRecords: source.totalRecords,
        targetRecords: null,
        ok: null,
        stream: plan.stream,
      });
    }
  }
  if (missing && run.exitCode === ExitCode.OK) {
    run.end(
      'incomplete',
      ExitCode.VERIFY_FAILED,
      `${missing} of ${run.streams.length} stream(s) did not land every record (see verify)`,
    );
  }
}

/** Samplers stopped, the tool removed from the target, an embedded target stopped, the source closed. */
export async function cleanUp(run: LoadContext): Promise<void> {
  run.bus.emit({ type: 'phase', phase: 'cleaning-up' });
  // The samplers read the target's log as they stop: give it time to log a recent death's subscriptions.
  const settleMs = run.options.signal.aborted ? 0 : logSettleWaitMs(run.herdDeaths.at(-1)?.at, Date.now());
  if (settleMs > 0) await sleep(settleMs);
  for (const sampler of run.samplers) await sampler.stop();
  if (run.session) {
    // A lost target cannot answer remove_node: one quick try, no retries.
    await run.session.close(run.targetLost ? 0 : undefined);
    if (run.session.registered !== undefined) run.cleanup.removedFromTarget = !run.session.registered;
  }
  await releaseDatabases(run);
  if (run.target) {
    await run.target.stop();
    run.cleanup.targetStopped = run.target.embedded !== undefined;
  }
  await run.load.close?.();
}

/** The workload's release on every database of every member it prepared (a lost target is not asked). */
async function releaseDatabases(run: LoadContext): Promise<void> {
  if (!run.load.release || run.targetLost) return;
  for (const client of run.clients.values()) {
    if (!client) continue;
    for (const database of run.databases) {
      await run.load.release(client, database, run.bus).catch((error: unknown) => {
        run.bus.emit({ type: 'warning', message: `cleanup of ${database}: ${(error as Error).message}` });
      });
    }
  }
}

function mapRunError(error: unknown): HarperReplayError {
  if (error instanceof ChannelTimeoutError) return new HarperReplayError(error.message, ExitCode.ERROR);
  return targetError(error);
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new AbortedError();
}
