/**
 * capture's flags and the two captures they describe: a subscriber (--source) or a proxy (--proxy). Flag
 * relations (--proxy needs --listen and --upstream, --listen-cert needs --listen-key and --proxy, …) are oclif's.
 */
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { checkOutputs } from '../common/output-files.js';
import { parseDuration } from '../common/units.js';
import type { CaptureSetup } from '../run/capture-run.js';
import type { ProxySetup } from '../run/proxy-run.js';
import { UsageError } from './base-command.js';
import { listenFlag } from './listen-flag.js';
import {
  checkUrl,
  commaList,
  excludes,
  type FlagValues,
  flagValue,
  forceFlag,
  needs,
  positive,
  tlsFlags,
} from './shared-flags.js';
import { defaultCaptureName, parseSince } from './since.js';
import { type ConnectionSecurity, readListenCertificate, resolveTlsFlags } from './tls-options.js';

export const captureFlags = {
  ...tlsFlags,
  ...forceFlag,
  source: Flags.string({
    summary:
      'Source node: its operations API URL (replication URL derived) or its ws:// / wss:// replication URL.',
    env: 'HARPER_SOURCE',
    helpValue: 'URL',
  }),
  replication: Flags.string({
    summary: "Source's replication URL, if it cannot be derived.",
    helpValue: 'URL',
  }),
  user: Flags.string({
    summary: 'Source user (super_user to subscribe).',
    env: 'HARPER_USER',
    default: 'admin',
  }),
  password: Flags.string({
    summary: 'Source password. Never printed or written anywhere.',
    env: 'HARPER_PASSWORD',
  }),
  database: Flags.string({ summary: 'Database to subscribe to.', default: 'data' }),
  since: Flags.string({
    summary: 'Where to start: 0 (full copy), now, a duration back (10m) or an ISO time.',
    default: 'now',
  }),
  tables: Flags.string({
    summary: 'Only these tables (comma-separated).',
    helpValue: 'A,B',
    relationships: [excludes('exclude-tables')],
  }),
  'exclude-tables': Flags.string({
    summary: 'All tables but these (comma-separated).',
    helpValue: 'A,B',
    relationships: [excludes('tables')],
  }),
  'relayed-from': Flags.string({
    summary:
      "Also capture the writes the source relays from these nodes (comma-separated, or 'all' its peers); without it, only the source's own writes.",
    helpValue: 'NAMES|all',
    // Was --origins, too close to replay's --origin (whom replayed records are attributed to).
    aliases: ['origins'],
    deprecateAliases: true,
  }),
  ack: Flags.boolean({
    summary: 'Send COMMITTED_UPDATE like a real receiver (--no-ack to not).',
    default: true,
    allowNo: true,
  }),
  duration: Flags.string({ summary: 'Stop after this long.', helpValue: 'DURATION' }),
  frames: Flags.integer({ summary: 'Stop after this many transaction frames.', min: 1 }),
  'until-idle': Flags.string({
    summary: 'Stop after no message for this long (e.g. 5s).',
    helpValue: 'DURATION',
  }),
  out: Flags.string({
    summary: 'Capture file (default: captures/<source>-<database>-<time>.hrcap).',
    helpValue: 'FILE',
  }),
  'flush-interval': Flags.string({
    summary: 'Flush to disk at least this often (a crash loses at most this).',
    default: '1s',
  }),
  proxy: Flags.boolean({
    summary: 'Proxy mode: record the traffic between two real nodes.',
    // The receiving node sends its own Authorization; a proxy knows no operations API.
    relationships: [needs('listen', 'upstream'), excludes('source', 'token', 'ca-from-target')],
  }),
  listen: listenFlag('Proxy mode: the proxy'),
  upstream: Flags.string({ summary: "Proxy mode: the real node's replication URL.", helpValue: 'URL' }),
  'listen-cert': Flags.string({
    summary:
      "Proxy mode: listen on wss with this certificate (PEM), valid for the name the receiving node dials (e.g. the upstream node's own). Needs --listen-key.",
    helpValue: 'FILE',
    relationships: [needs('proxy', 'listen-key')],
  }),
  'listen-key': Flags.string({
    summary: 'Proxy mode: private key (PEM) of --listen-cert.',
    helpValue: 'FILE',
    relationships: [needs('proxy', 'listen-cert')],
  }),
  progress: Flags.boolean({
    summary: 'Live progress on stderr (off when stdout is not a TTY).',
    default: true,
    allowNo: true,
  }),
};

export type CaptureFlagValues = FlagValues<typeof captureFlags>;

/** What both modes share: when to stop, how often to flush, and the TLS settings. Throws on a bad value. */
function common(flags: CaptureFlagValues) {
  let times: { durationMs?: number; untilIdleMs?: number; flushIntervalMs: number; since: number };
  try {
    times = {
      durationMs: flags.duration ? flagValue('duration', flags.duration, positive(parseDuration)) : undefined,
      untilIdleMs: flags['until-idle']
        ? flagValue('until-idle', flags['until-idle'], positive(parseDuration))
        : undefined,
      flushIntervalMs: flagValue('flush-interval', flags['flush-interval'], positive(parseDuration)),
      since: flagValue('since', flags.since, parseSince),
    };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const security: ConnectionSecurity = resolveTlsFlags(flags, flags.password);
  return { ...times, security };
}

/** capture --source: the subscriber capture the flags describe. Throws a usage error or a HarperReplayError. */
export function subscriberCaptureOptions(flags: CaptureFlagValues): CaptureSetup {
  const { security, ...times } = common(flags);
  // By hand, for its wording (a test and scripts match it); oclif's exactlyOne would name --source and --proxy.
  if (!flags.source) throw new UsageError('--source URL is required (or --proxy)');
  // By hand: a client certificate is a credential too, and the message names the environment variables.
  if (flags.password === undefined && security.token === undefined && !security.tls?.cert)
    throw new UsageError(
      '--source needs credentials: --password or HARPER_PASSWORD (and --user / HARPER_USER), --token / HARPER_TOKEN, or a client certificate (--cert/--key)',
    );
  const wsOrHttp = ['http', 'https', 'ws', 'wss'];
  try {
    checkUrl('source', flags.source, wsOrHttp);
    if (flags.replication) checkUrl('replication', flags.replication, ['ws', 'wss']);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    source: flags.source,
    replicationUrl: flags.replication,
    ...(flags.password !== undefined && security.token === undefined
      ? { credentials: { user: flags.user, password: flags.password } }
      : {}),
    ...(security.token !== undefined ? { token: security.token } : {}),
    ...(security.tls ? { tls: security.tls } : {}),
    caFromTarget: security.caFromTarget,
    database: flags.database,
    since: times.since,
    tables: commaList(flags.tables),
    excludeTables: commaList(flags['exclude-tables']),
    origins: commaList(flags['relayed-from']),
    ack: flags.ack,
    out: captureOutput(flags, defaultCaptureName(flags.source, flags.database)),
    force: flags.force,
    durationMs: times.durationMs,
    maxFrames: flags.frames,
    untilIdleMs: times.untilIdleMs,
    flushIntervalMs: times.flushIntervalMs,
  };
}

/** --out checked before anything is dialed; the default folder (captures/) is made when missing, no other. */
function captureOutput(flags: CaptureFlagValues, defaultName: string): string {
  const out = flags.out ?? join('captures', defaultName);
  checkOutputs([{ flag: '--out', path: out, defaultFolder: flags.out === undefined }], [], flags.force);
  return out;
}

/** capture --proxy: the proxy capture the flags describe. Throws a usage error or a HarperReplayError. */
export function proxyCaptureOptions(flags: CaptureFlagValues): ProxySetup {
  const { security, ...times } = common(flags);
  // oclif's dependsOn has checked that both were given; an empty value is still nothing to listen on or dial.
  if (!flags.listen || !flags.upstream)
    throw new UsageError('--proxy needs --listen [HOST:]PORT and --upstream URL');
  const listenTls =
    flags['listen-cert'] && flags['listen-key']
      ? readListenCertificate(flags['listen-cert'], flags['listen-key'])
      : undefined;
  try {
    checkUrl('upstream', flags.upstream, ['ws', 'wss']);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    listenHost: flags.listen.host,
    listenPort: flags.listen.port,
    upstream: flags.upstream,
    ...(security.tls ? { upstreamTls: security.tls } : {}),
    ...(listenTls ? { listenTls } : {}),
    out: captureOutput(flags, defaultCaptureName(flags.upstream, 'proxy')),
    force: flags.force,
    durationMs: times.durationMs,
    untilIdleMs: times.untilIdleMs,
    flushIntervalMs: times.flushIntervalMs,
  };
}
