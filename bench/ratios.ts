/**
 * What the bench compares: each tool figure beside its anchor, measured in the same rounds (issue 19). The goals are
 * the done-when; the bench reports them met or not and asserts nothing.
 */
import {
  figure,
  type Measured,
  mbPerSec,
  pairedRatio,
  type Round,
  recordsPerSec,
  type Spread,
  spread,
} from './measure.js';

/** The variants, in table order: the anchors first, then what the tool does. */
export const VARIANTS: Record<string, string> = {
  'ceiling-client':
    'ceiling: pre-built frames, ws.send as client to a discarding server (it counts frames, keeps none)',
  'ceiling-server':
    'ceiling: pre-built frames, ws.send as server to a discarding client (it counts frames, keeps none)',
  'ceiling-replay': "ceiling as client over the capture's own frame count (replay's anchor: same bytes)",
  'naive-client': 'naive sender: msgpackr pack per record, concatenated, as client',
  harper: "Harper's own sender: 4.7.29 full copy to the tool's subscriber (discarding)",
  'raw-read': 'raw read of the capture file (1 MiB chunks into one buffer, discarded)',
  'raw-write': 'raw write of as many bytes (1 MiB chunks, fsync at end)',
  encode: 'synth encode only (frame writer)',
  'encode-mix': 'synth encode only, --mix insert=70,update=25,delete=5 --keys zipf:1.1',
  client: 'synth encode + send, tool as client (push mode)',
  server: 'synth encode + send, tool as server (peer mode)',
  replay: 'replay from disk, index + read + rewrite + send, as client',
  capture: "capture --since 0 of Harper's full copy to a file",
  'ceiling-client@ws': 'ceiling-client with the ws peer (a ws endpoint dropping each message it assembled)',
  'ceiling-server@ws': 'ceiling-server with the ws peer',
  'ceiling-replay@ws': 'ceiling-replay with the ws peer',
  'client@ws': 'client with the ws peer',
  'server@ws': 'server with the ws peer',
  'replay@ws': 'replay with the ws peer',
};

/** The tool's own variants (the peak RSS goal is about these; the anchors are not the tool). */
export const TOOL_VARIANTS = [
  'encode',
  'encode-mix',
  'client',
  'server',
  'replay',
  'capture',
  'client@ws',
  'server@ws',
  'replay@ws',
];

type Pick = (m: Measured) => number | undefined;

/** Each variant's ceiling: what the same work could reach at best on this machine, and in which unit. */
const CEILING_OF: Record<string, [string, Pick]> = {
  client: ['ceiling-client', recordsPerSec],
  server: ['ceiling-server', recordsPerSec],
  'naive-client': ['ceiling-client', recordsPerSec],
  // The same bytes as the capture: a ceiling over more frames amortizes start-up (JIT, TCP window) the replay pays.
  replay: ['ceiling-replay', mbPerSec],
  capture: ['harper', recordsPerSec],
  'client@ws': ['ceiling-client@ws', recordsPerSec],
  'server@ws': ['ceiling-server@ws', recordsPerSec],
  'replay@ws': ['ceiling-replay@ws', mbPerSec],
};

export interface VariantRow {
  variant: string;
  label: string;
  runs: Measured[];
  recordsPerSec: Spread | null;
  mbPerSec: Spread | null;
  peakRssMiB: Spread | null;
  cpuSec: Spread | null;
  /** Fraction of the variant's ceiling (CEILING_OF), per round. */
  ofCeiling: Spread | null;
  ceiling: string | null;
  /** Multiple of Harper's own sender: records/s, or MB/s for the raw disk anchors (they have no records). */
  timesHarper: Spread | null;
}

export function variantRows(rounds: Round[]): VariantRow[] {
  return Object.entries(VARIANTS)
    .filter(([variant]) => rounds.some((round) => round[variant]))
    .map(([variant, label]) => {
      const ceiling = CEILING_OF[variant];
      const unit = variant.startsWith('raw-') ? mbPerSec : recordsPerSec;
      return {
        variant,
        label,
        runs: rounds.map((round) => round[variant]).filter((m): m is Measured => m !== undefined),
        recordsPerSec: figure(rounds, variant, recordsPerSec),
        mbPerSec: figure(rounds, variant, mbPerSec),
        peakRssMiB: figure(rounds, variant, (m) => m.peakRssMiB),
        cpuSec: figure(rounds, variant, (m) => m.cpuSec),
        ofCeiling: ceiling ? pairedRatio(rounds, [variant, ceiling[1]], ceiling) : null,
        ceiling: ceiling?.[0] ?? null,
        timesHarper: variant === 'harper' ? null : pairedRatio(rounds, [variant, unit], ['harper', unit]),
      };
    });
}

export interface RatioRow {
  name: string;
  value: Spread | null;
  /** The done-when goal, e.g. "≥ 0.60"; null: shown for context. */
  goal: string | null;
  /** Whether the median (the maximum, for a bound every run must keep) meets the goal; null: no goal or no figure. */
  met: boolean | null;
}

function row(name: string, value: Spread | null, goal?: ['≥' | '<', number], every = false): RatioRow {
  if (!goal) return { name, value, goal: null, met: null };
  const [op, bound] = goal;
  const measured = every ? value?.max : value?.median;
  const met = measured === undefined ? null : op === '≥' ? measured >= bound : measured < bound;
  return { name, value, goal: `${op} ${bound}${every ? ' (max)' : ''}`, met };
}

const rps = (variant: string): [string, Pick] => [variant, recordsPerSec];
const mbs = (variant: string): [string, Pick] => [variant, mbPerSec];

/** The discarding peers, by variant suffix: the raw socket counter (the default) and the ws endpoint. */
export const PEERS: Array<[suffix: string, name: string]> = [
  ['', 'raw peer'],
  ['@ws', 'ws peer'],
];

/**
 * The ratios, each per round; `large` adds the 10 M records and 1 GB capture runs to the RSS goal. The
 * socket goals are given for each peer the rounds measured.
 */
export function ratioRows(rounds: Round[], large: Measured[] = []): RatioRow[] {
  const toolPeaks = rounds.map((round) =>
    Math.max(...TOOL_VARIANTS.map((v) => round[v]?.peakRssMiB ?? Number.NEGATIVE_INFINITY)),
  );
  const largePeak = Math.max(...large.map((m) => m.peakRssMiB ?? Number.NEGATIVE_INFINITY));
  const measuredPeers = PEERS.filter(([suffix]) => rounds.some((round) => round[`client${suffix}`]));
  return [
    ...measuredPeers.flatMap(([suffix, peer]) => socketRows(rounds, suffix, peer)),
    row(
      'naive sender ÷ ceiling client (records/s)',
      pairedRatio(rounds, rps('naive-client'), rps('ceiling-client')),
    ),
    row('synth client ÷ naive sender (records/s)', pairedRatio(rounds, rps('client'), rps('naive-client'))),
    row('replay ÷ raw read (MB/s)', pairedRatio(rounds, mbs('replay'), mbs('raw-read'))),
    row("capture ÷ Harper's own sender (records/s)", pairedRatio(rounds, rps('capture'), rps('harper')), [
      '≥',
      0.9,
    ]),
    row(
      'capture tool CPU ÷ wall (cores)',
      figure(rounds, 'capture', (m) => m.cores),
      ['<', 0.5],
    ),
    row('capture ÷ raw write (MB/s)', pairedRatio(rounds, mbs('capture'), mbs('raw-write'))),
    row('tool peak RSS, every variant (MiB)', spread([...toolPeaks, largePeak]), ['<', 200], true),
  ];
}

/** The goals that depend on the socket's peer: synth and replay against their ceilings, synth against Harper. */
function socketRows(rounds: Round[], suffix: string, peer: string): RatioRow[] {
  const v = (variant: string) => `${variant}${suffix}`;
  return [
    row(
      `synth client ÷ ceiling client (records/s), ${peer}`,
      pairedRatio(rounds, rps(v('client')), rps(v('ceiling-client'))),
      ['≥', 0.6],
    ),
    row(
      `synth server ÷ ceiling server (records/s), ${peer}`,
      pairedRatio(rounds, rps(v('server')), rps(v('ceiling-server'))),
      ['≥', 0.6],
    ),
    row(
      `replay ÷ ceiling over the same frames (MB/s, index included), ${peer}`,
      pairedRatio(rounds, mbs(v('replay')), mbs(v('ceiling-replay'))),
      ['≥', 0.7],
    ),
    row(
      `synth client ÷ Harper's own sender (records/s), ${peer}`,
      pairedRatio(rounds, rps(v('client')), rps('harper')),
    ),
    row(
      `synth server ÷ Harper's own sender (records/s), ${peer}`,
      pairedRatio(rounds, rps(v('server')), rps('harper')),
    ),
    // The goal is the tool's synth at its best (the faster direction of the round) against Harper's sender.
    row(
      `synth best (faster of client, server) ÷ Harper's own sender (records/s), ${peer}`,
      pairedRatio(withBestSynth(rounds, suffix), rps('synth-best'), rps('harper')),
      ['≥', 15],
    ),
  ];
}

/** Each round with `synth-best`: whichever of its client and server runs sent more records/s. */
function withBestSynth(rounds: Round[], suffix = ''): Round[] {
  return rounds.map((round) => {
    const [client, server] = [round[`client${suffix}`], round[`server${suffix}`]];
    const best =
      client && server
        ? (client.recordsPerSec ?? 0) >= (server.recordsPerSec ?? 0)
          ? client
          : server
        : client;
    return best ? { ...round, 'synth-best': best } : round;
  });
}
