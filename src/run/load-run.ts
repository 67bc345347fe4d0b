/**
 * One load run, start to finish, whatever the frames are (synthetic or replayed): target up, schema ready, a
 * session (peer or push), the streams with resume on reconnects, the wait for acks, verification, and cleanup —
 * also when interrupted. A stream is the workload to one member's subscription to one database: one by default,
 * one per database with --databases, one per member and database with --fan-out; each has its own connection,
 * acks and resumes. Everything measurable goes through the metrics bus; the result is folded from it.
 */
import { randomBytes } from 'node:crypto';
import { ExitCode, type ExitCodeValue, HarperReplayError } from '../common/errors.js';
import { MetricsBus } from '../events/metrics-bus.js';
import {
  type CleanupReport,
  type MemberInfo,
  type RunEvent,
  type RunMeta,
  type RunOutcome,
  type StreamPlan,
  streamKey,
} from '../events/schema.js';
import { OperationsApiError, type OperationsClient } from '../harper/operations-client.js';
import { TargetSamplers } from '../harper/samplers.js';
import { INSECURE_WARNING } from '../net/tls.js';
import { TxnFrameWriter } from '../protocol/txn-frame.js';
import { ResultBuilder, type RunResult } from '../report/result.js';
import { AckTracker } from '../session/ack-tracker.js';
import {
  AbortedError,
  type ChannelProvider,
  ChannelTimeoutError,
  type DataChannel,
  type StreamRoute,
} from '../session/channel.js';
import { DialError } from '../session/dial.js';
import { ConnectionClosedError } from '../session/flow-control.js';
import { certificateNames, type ListenerIdentity, runIdentity } from '../session/peer-pki.js';
import { PeerSession } from '../session/peer-session.js';
import { PushSession } from '../session/push-session.js';
import type { ReplicationSocket } from '../session/replication-socket.js';
import { sleep, streamFrames, trackAcks } from '../session/stream-sender.js';
import type { FrameSource } from '../workload/synthetic.js';
import { discoverMembers, type Member } from './members.js';
import {
  describeTrustedCas,
  type ResolvedTarget,
  resolveTarget,
  type TargetSpec,
  targetError,
} from './target.js';

export interface LoadRunOptions {
  target: TargetSpec;
  via: 'peer' | 'push';
  listenHost: string;
  listenPort: number;
  database: string;
  /** Load all of these databases at once, each over its own connection (default: just `database`). */
  databases?: string[];
  /** Peer mode: load every cluster member that subscribes, not just the target. */
  fanOut?: boolean;
  /** --fan-out: operations API URLs of the other members (sampled and verified; else derived or unsampled). */
  memberUrls?: string[];
  /** Peer mode on wss: the user's certificate and key, or {} for a certificate and CA made for this run. */
  listenTls?: { cert?: string; key?: string };
  /** Frames per second; undefined = unlimited. */
  rate?: number;
  maxReconnects: number;
  /** Fail when no frame is committed for this long while frames are outstanding. */
  ackTimeoutMs: number;
  subscribeTimeoutMs: number;
  verify: boolean;
  /** Bytes the tool may queue on a socket before it waits for drain. */
  highWaterMark: number;
  signal: AbortSignal;
  bus?: MetricsBus;
  /** Status lines for humans (stderr); never receives credentials. */
  log?: (message: string) => void;
  /** Called once the target is known (tests use it to find the embedded node). */
  onTarget?: (target: ResolvedTarget) => void | Promise<void>;
  /** --threshold expressions (already validated by parseThreshold). */
  thresholds?: string[];
  /** Stalls shorter than this are not episodes (ms). */
  pauseThresholdMs?: number;
  /** A probe unanswered for this long means the target's event loop is blocked (ms). */
  blockedAfterMs?: number;
  /** Memory baseline window before the first frame (ms). */
  baselineMs?: number;
  /** Log the stack of an error that ends the run (--verbose). */
  verbose?: boolean;
  /** How long to keep sampling after the last ack, before verification (ms). */
  settleMs?: number;
  /** system_information sampling interval (ms). */
  sysinfoIntervalMs?: number;
}

/** What a run sends and how it checks what landed: the synthesizer and the replayer plug in here. */
export interface LoadWorkload {
  /** For run-meta: what the workload is. */
  describe: Pick<RunMeta, 'command' | 'table' | 'workload'> & Partial<Pick<RunMeta, 'replay'>>;
  /** The frame source, once the tool's node name is known (it is the origin of synthetic records). */
  source(toolNodeName: string): FrameSource | Promise<FrameSource>;
  /** One-time checks once the source is known (e.g. frames over the target's limit); may warn on the bus. */
  check?(bus: MetricsBus): void;
  /** Prepares one database of one member before it subscribes (database, tables); may warn on the bus. */
  prepare(client: OperationsClient, database: string, bus: MetricsBus): Promise<void>;
  /** Counts what landed in one database of one member; undefined skips verification. */
  verify?(
    client: OperationsClient,
    database: string,
  ): Promise<{ expectedRecords: number; targetRecords: number }>;
  /** Releases what the source holds (open files). */
  close?(): Promise<void>;
  /** How to resume after `committed` frames (named in the error when the target dies mid-run). */
  resumeHint?(committed: number): string;
}

const TOOL_VERSION = '0.1.0';

/** One stream's state: where it goes and what of it was committed. */
interface StreamState {
  plan: StreamPlan;
  route: StreamRoute;
  tracker: AckTracker;
  /** Prefix of this stream's messages ('' when it is the only one). */
  prefix: string;
}

export async function runLoad(options: LoadRunOptions, load: LoadWorkload): Promise<RunResult> {
  const bus = options.bus ?? new MetricsBus();
  const builder = new ResultBuilder();
  bus.subscribe(builder.sink);
  const log = options.log ?? (() => {});
  // A user's listener certificate names the tool (the target dials it back by that name).
  const toolNodeName =
    (options.listenTls?.cert &&
      certificateNames(options.listenTls.cert).find((name) => name !== 'localhost')) ||
    `harper-replay-${randomBytes(4).toString('hex')}`;
  const databases = options.databases?.length ? options.databases : [options.database];
  bus.emit({
    type: 'run-meta',
    meta: {
      ...load.describe,
      toolVersion: TOOL_VERSION,
      toolNodeName,
      via: options.via,
      database: databases[0]!,
      ...(databases.length > 1 ? { databases } : {}),
      ...(options.fanOut ? { fanOut: true } : {}),
      thresholds: options.thresholds ?? [],
      pauseThresholdMs: options.pauseThresholdMs ?? 50,
      blockedAfterMs: options.blockedAfterMs ?? 500,
    },
  });
  let workload: FrameSource;
  try {
    workload = await load.source(toolNodeName);
  } catch (caught) {
    const mapped = mapRunError(caught);
    bus.emit({
      type: 'run-end',
      outcome: 'failed',
      exitCode: mapped.exitCode,
      error: mapped.message,
      cleanup: { removedFromTarget: null, targetStopped: false },
    });
    return builder.build();
  }
  let streams: StreamState[] = [];
  const committedFrames = () => streams.reduce((sum, s) => sum + s.tracker.committedFrames, 0);
  const totalFrames = () => workload.frameCount * Math.max(1, streams.length);

  let target: ResolvedTarget | undefined;
  let members: Member[] = [];
  let session: (ChannelProvider & { registered?: boolean }) | undefined;
  const samplers: TargetSamplers[] = [];
  let outcome: RunOutcome = 'complete';
  let exitCode: ExitCodeValue = ExitCode.OK;
  let error: string | undefined;
  const cleanup: CleanupReport = { removedFromTarget: null, targetStopped: false };
  // Aborts the streams when the user interrupts or the local target process dies.
  const stop = new AbortController();
  const onUserAbort = () => stop.abort();
  options.signal.addEventListener('abort', onUserAbort, { once: true });
  let targetLost: string | undefined;

  try {
    bus.emit({ type: 'phase', phase: 'starting-target' });
    log(options.target.url ? `target ${options.target.url}` : 'starting embedded harperdb 4.7.29 …');
    if (options.target.tls?.insecure) bus.emit({ type: 'warning', message: INSECURE_WARNING });
    target = await resolveTarget(options.target);
    for (const line of describeTrustedCas(target.operationsUrl, target.trustedCas ?? [])) log(line);
    await options.onTarget?.(target);
    throwIfAborted(options.signal);
    log(
      `target node ${target.nodeName} (${target.pid ? `pid ${target.pid}, ` : ''}${target.operationsUrl}), replication ${target.replicationUrl}`,
    );
    if (options.fanOut) {
      members = await discoverMembers(target, options.memberUrls ?? [], options.target);
      for (const member of members) {
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
    }
    if (options.via === 'push') {
      // Push dials every member itself: one whose replication URL the target does not know cannot be reached.
      const unreachable = members.filter((m) => !m.replicationUrl);
      for (const member of unreachable) {
        bus.emit({
          type: 'warning',
          message: `${member.nodeName} is not loaded: ${target.nodeName}'s cluster_status gives no replication URL for it`,
        });
      }
      members = members.filter((m) => m.replicationUrl);
    }
    const memberNames = [target.nodeName, ...members.map((m) => m.nodeName)];
    streams = memberNames.flatMap((member) =>
      databases.map((database) => ({
        plan: { stream: streamKey(member, database), member, database },
        route: { member, database },
        tracker: new AckTracker(workload.frameCount, (index) => workload.sequenceId(index)),
        prefix: memberNames.length * databases.length > 1 ? `${streamKey(member, database)}: ` : '',
      })),
    );

    bus.emit({ type: 'phase', phase: 'preparing' });
    load.check?.(bus);
    for (const client of [target.client, ...members.flatMap((m) => (m.client ? [m.client] : []))]) {
      for (const database of databases) await load.prepare(client, database, bus);
    }
    throwIfAborted(options.signal);

    const sockets = new Map<number, ReplicationSocket>();
    bus.subscribe((event) => {
      if (event.type === 'connection' && event.event === 'closed') sockets.delete(event.socketId);
    });
    const toolBuffered = (socketId: number) => sockets.get(socketId)?.sender.queuedBytes ?? 0;
    const primary = new TargetSamplers({
      bus,
      client: target.client,
      pid: target.pid,
      logFile: target.embedded?.logFile,
      sysinfoIntervalMs: options.sysinfoIntervalMs,
      toolBuffered,
      watchNode: target.nodeName,
    });
    samplers.push(primary);
    for (const member of members) {
      if (!member.client) continue;
      samplers.push(
        new TargetSamplers({
          bus,
          client: member.client,
          sysinfoIntervalMs: options.sysinfoIntervalMs,
          toolBuffered,
          watchNode: member.nodeName,
          member: member.nodeName,
        }),
      );
    }
    for (const sampler of samplers) await sampler.start();
    primary.targetLost.then((reason) => {
      targetLost = reason;
      stop.abort();
    });
    const baselineUntil = Date.now() + (options.baselineMs ?? 1000);
    bus.emit({
      type: 'run-start',
      frames: totalFrames(),
      records: workload.totalRecords * streams.length,
      target: {
        nodeName: target.nodeName,
        operationsUrl: target.operationsUrl,
        replicationUrl: target.replicationUrl,
        embedded: target.embedded !== undefined,
        local: target.pid !== undefined,
        ...(target.pid !== undefined ? { pid: target.pid } : {}),
        ...(target.embedded ? { rootDir: target.embedded.baseDir } : {}),
        ...(target.loggingLevel ? { loggingLevel: target.loggingLevel } : {}),
      },
      streams: streams.map((s) => s.plan),
      ...(options.fanOut
        ? {
            members: [
              { nodeName: target.nodeName, operationsUrl: target.operationsUrl, sampled: true },
              ...members.map(
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
      session = peer;
      bus.emit({ type: 'phase', phase: 'waiting-for-subscription' });
      await peer.start();
      log(`listening on ${peer.url} as ${toolNodeName}; added to ${target.nodeName} with add_node`);
    } else {
      const urls = new Map([
        [target.nodeName, target.replicationUrl],
        ...members.map((m): [string, string] => [m.nodeName, m.replicationUrl!]),
      ]);
      session = pushSessions(target, urls, databases, toolNodeName, options, bus);
    }
    // A baseline of the target's memory before the first frame.
    const baselineLeft = baselineUntil - Date.now();
    if (baselineLeft > 0) await sleep(baselineLeft, stop.signal);
    const provider = session;
    const settled = await Promise.allSettled(
      streams.map((state) =>
        stream(provider, workload, state, bus, { ...options, signal: stop.signal }, log, sockets),
      ),
    );
    // Interrupts first (they end every stream), then the first stream that failed.
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      const aborted = settled.find(
        (s): s is PromiseRejectedResult => s.status === 'rejected' && s.reason instanceof AbortedError,
      );
      throw (aborted ?? failed).reason;
    }
    // Keep sampling a little after the last ack: memory still moves once the commits are done.
    bus.emit({ type: 'phase', phase: 'settling' });
    await sleep(options.settleMs ?? 1000, stop.signal);
    const behind = streams.filter((s) => !s.tracker.complete);
    if (behind.length) {
      outcome = 'incomplete';
      exitCode = ExitCode.VERIFY_FAILED;
      error = `${committedFrames()} of ${totalFrames()} frames committed (incomplete: ${behind.map((s) => s.plan.stream).join(', ')})`;
    }
  } catch (caught) {
    if (targetLost) {
      outcome = 'failed';
      exitCode = ExitCode.ERROR;
      const resume =
        streams.length === 1
          ? (load.resumeHint?.(committedFrames()) ?? `resume point: frame ${committedFrames()}`)
          : `per stream: ${streams.map((s) => `${s.plan.stream} ${s.tracker.committedFrames}`).join(', ')}`;
      error = `${targetLost} mid-run; ${committedFrames()} of ${totalFrames()} frames committed (${resume})`;
    } else if (caught instanceof AbortedError || options.signal.aborted) {
      outcome = 'interrupted';
      exitCode = ExitCode.INTERRUPTED;
      error = 'interrupted';
    } else {
      const mapped = mapRunError(caught);
      if (options.verbose && caught instanceof Error && caught.stack) log(caught.stack);
      outcome = mapped.exitCode === ExitCode.VERIFY_FAILED ? 'incomplete' : 'failed';
      exitCode = mapped.exitCode;
      error = mapped.message;
    }
  }

  // Verification reads the target even after a partial run: the user wants to know what landed.
  if (target && options.verify && load.verify && outcome !== 'failed') {
    bus.emit({ type: 'phase', phase: 'verifying' });
    const clients = new Map<string, OperationsClient | undefined>([
      [target.nodeName, target.client],
      ...members.map((m): [string, OperationsClient | undefined] => [m.nodeName, m.client]),
    ]);
    let missing = 0;
    for (const { plan } of streams) {
      const client = clients.get(plan.member);
      if (!client) continue;
      try {
        const { expectedRecords, targetRecords } = await load.verify(client, plan.database);
        const ok = targetRecords === expectedRecords;
        bus.emit({ type: 'verify', expectedRecords, targetRecords, ok, stream: plan.stream });
        if (!ok) missing++;
      } catch (caught) {
        bus.emit({
          type: 'warning',
          message: `verification of ${plan.stream} failed: ${(caught as Error).message}`,
        });
        bus.emit({
          type: 'verify',
          expectedRecords: workload.totalRecords,
          targetRecords: null,
          ok: null,
          stream: plan.stream,
        });
      }
    }
    if (missing && exitCode === ExitCode.OK) {
      outcome = 'incomplete';
      exitCode = ExitCode.VERIFY_FAILED;
      error = `${missing} of ${streams.length} stream(s) did not land every record (see verify)`;
    }
  }

  bus.emit({ type: 'phase', phase: 'cleaning-up' });
  for (const sampler of samplers) await sampler.stop();
  if (session) {
    // A lost target cannot answer remove_node: one quick try, no retries.
    await session.close(targetLost ? 0 : undefined);
    if (session.registered !== undefined) cleanup.removedFromTarget = !session.registered;
  }
  if (target) {
    await target.stop();
    cleanup.targetStopped = target.embedded !== undefined;
  }
  options.signal.removeEventListener('abort', onUserAbort);
  await load.close?.();
  bus.emit({ type: 'run-end', outcome, exitCode, ...(error ? { error } : {}), cleanup });
  bus.emit({ type: 'phase', phase: 'done' });
  return builder.build();
}

/** The wss listener's certificate: the user's, or one made for this run with its own CA. */
function listenerIdentity(
  given: { cert?: string; key?: string },
  toolNodeName: string,
  listenHost: string,
): ListenerIdentity {
  if (given.cert && given.key) return { cert: given.cert, key: given.key };
  return runIdentity(toolNodeName, [listenHost]);
}

/**
 * Push mode: one connection per member and database, each dialed (and redialed) on its own, with the target's
 * credentials and TLS settings (a cluster shares its users and its CA).
 */
function pushSessions(
  target: ResolvedTarget,
  urls: Map<string, string>,
  databases: string[],
  toolNodeName: string,
  options: LoadRunOptions,
  bus: MetricsBus,
): ChannelProvider {
  const sessions = new Map(
    [...urls].flatMap(([member, url]) =>
      databases.map((database) => [
        streamKey(member, database),
        new PushSession({
          url,
          authorization: target.authorization,
          tls: target.replicationTls,
          toolNodeName,
          database,
          highWaterMark: options.highWaterMark,
          bus,
        }),
      ]),
    ),
  );
  return {
    next: (timeoutMs, signal, resumeAfter, route) =>
      sessions
        .get(streamKey(route?.member ?? target.nodeName, route?.database ?? databases[0]!))!
        .next(timeoutMs, signal, resumeAfter),
    close: async () => {
      for (const session of sessions.values()) await session.close();
    },
  };
}

/** The stream loop: a channel, stream from its start point, wait for acks; on a drop, the next channel resumes. */
async function stream(
  session: ChannelProvider,
  workload: FrameSource,
  state: StreamState,
  bus: MetricsBus,
  options: LoadRunOptions,
  log: (message: string) => void,
  sockets: Map<number, ReplicationSocket>,
): Promise<void> {
  const { tracker, route, prefix } = state;
  const label = state.plan.stream;
  let attempt = 0;
  let lastClose: ConnectionClosedError | undefined;
  while (!tracker.complete) {
    if (attempt > options.maxReconnects) {
      throw new HarperReplayError(
        `${prefix}the target dropped the stream ${attempt} times (last: ${lastClose?.message ?? 'unknown'}); giving up after --max-reconnects ${options.maxReconnects}. Committed ${tracker.committedFrames} of ${workload.frameCount} frames`,
        ExitCode.ERROR,
      );
    }
    const channel: DataChannel = await session.next(
      attempt === 0 ? options.subscribeTimeoutMs : Math.max(options.subscribeTimeoutMs, 30_000),
      options.signal,
      tracker.cursor ?? 0,
      route,
    );
    const { socket } = channel;
    const from = tracker.firstAfter(channel.startTime);
    if (attempt > 0) {
      bus.emit({
        type: 'resume',
        socketId: socket.id,
        startTime: channel.startTime,
        fromFrame: from,
        attempt,
        stream: label,
      });
      log(`${prefix}reconnected: resuming at frame ${from} (target cursor ${channel.startTime})`);
    }
    sockets.set(socket.id, socket);
    bus.emit({
      type: 'connection',
      socketId: socket.id,
      event: 'streaming',
      startTime: channel.startTime,
      remoteNodeName: route.member,
      database: route.database,
      stream: label,
      ...socket.ports,
    });
    bus.emit({ type: 'phase', phase: 'streaming' });
    attempt++;
    trackAcks(socket, tracker, workload, bus, label);
    const closed = socket.closed;
    const streaming = streamFrames({
      socket,
      source: workload,
      tracker,
      bus,
      startTime: channel.startTime,
      subscribedNames: channel.subscribedNames,
      rate: options.rate,
      signal: options.signal,
      stream: label,
    }).catch((caught: unknown) => {
      if (caught instanceof ConnectionClosedError) return { sentUpTo: -1, aborted: false };
      throw caught;
    });
    const sent = await streaming;
    if (options.signal.aborted) throw new AbortedError();
    if (sent.sentUpTo >= 0) {
      bus.emit({ type: 'phase', phase: 'waiting-for-acks' });
      // 4.7.29 coalesces acks by overwriting the pending value, and its commit callbacks can finish out of order,
      // so the last ack of a burst can name an older frame than the last one committed. A frame with no entries
      // and a tail just above the last one commits after everything before it and acks them all.
      const lastTail = workload.sequenceId(workload.frameCount - 1);
      const nudge = () =>
        socket.send(new TxnFrameWriter().begin(Date.now(), 32).finish(lastTail + 0.5)).catch(() => {});
      const waited = await waitForCommits(tracker, closed, options.ackTimeoutMs, options.signal, nudge);
      if (waited === 'aborted') throw new AbortedError();
      if (waited === 'complete') break;
      if (waited === 'idle') {
        throw new HarperReplayError(
          `${prefix}no commit acknowledgement for ${options.ackTimeoutMs} ms: ${tracker.committedFrames} of ${workload.frameCount} frames committed`,
          ExitCode.VERIFY_FAILED,
        );
      }
    }
    lastClose = await closed;
    bus.emit({
      type: 'warning',
      message: `${prefix}replication socket closed mid-stream: ${lastClose.message}`,
    });
    if (options.via === 'push' && lastClose.code === 1008) {
      throw new HarperReplayError(
        `the target closed the connection: ${lastClose.reason || 'policy violation'} (1008)`,
        ExitCode.ERROR,
      );
    }
  }
}

type CommitWait = 'complete' | 'closed' | 'idle' | 'aborted';

/** Waits until every frame is committed; gives up after `idleMs` without progress, or when the socket closes. */
function waitForCommits(
  tracker: AckTracker,
  closed: Promise<unknown>,
  idleMs: number,
  signal: AbortSignal,
  nudge: () => void,
  nudgeAfterMs = 500,
): Promise<CommitWait> {
  return new Promise((resolve) => {
    let last = tracker.committedFrames;
    let lastProgress = Date.now();
    let lastNudge = Date.now();
    let settled = false;
    const finish = (result: CommitWait) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const onAbort = () => finish('aborted');
    const timer = setInterval(() => {
      if (tracker.complete) return finish('complete');
      if (tracker.committedFrames !== last) {
        last = tracker.committedFrames;
        lastProgress = Date.now();
      } else if (Date.now() - lastProgress > idleMs) {
        finish('idle');
      } else if (Date.now() - Math.max(lastProgress, lastNudge) > nudgeAfterMs) {
        lastNudge = Date.now();
        nudge();
      }
    }, 20);
    signal.addEventListener('abort', onAbort, { once: true });
    closed.then(() => setTimeout(() => finish(tracker.complete ? 'complete' : 'closed'), 50));
    if (tracker.complete) finish('complete');
  });
}

function mapRunError(error: unknown): HarperReplayError {
  if (error instanceof HarperReplayError) return error;
  if (error instanceof DialError) return targetError(error);
  if (error instanceof ChannelTimeoutError) return new HarperReplayError(error.message, ExitCode.ERROR);
  if (error instanceof OperationsApiError) return targetError(error);
  return targetError(error);
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new AbortedError();
}

export type { RunEvent };
