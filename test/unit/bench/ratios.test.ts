/** The bench's arithmetic (bench/measure.ts, bench/ratios.ts): medians, round-by-round ratios, goals met or not. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Measured, pairedRatio, type Round, recordsPerSec, spread } from '../../../bench/measure.js';
import { ratioRows, variantRows } from '../../../bench/ratios.js';

const run = (variant: string, rps: number, extra: Partial<Measured> = {}): Measured => ({
  variant,
  records: rps,
  bytes: rps * 256,
  wallMs: 1000,
  recordsPerSec: rps,
  mbPerSec: (rps * 256) / 1e6,
  peakRssMiB: 100,
  ...extra,
});

describe('bench arithmetic', () => {
  it('spread: the lower median of the finite values and their range; null when none', () => {
    assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3 });
    assert.deepEqual(spread([4, 1, Number.NaN, 2, 3]), { median: 2, min: 1, max: 4 });
    assert.equal(spread([Number.NaN]), null);
  });

  it('pairedRatio divides within each round, not medians by medians', () => {
    // Round 1 is a slow machine for both, round 2 a fast one: per round the tool is at 0.5 of the ceiling.
    const rounds: Round[] = [
      { client: run('client', 50), 'ceiling-client': run('ceiling-client', 100) },
      { client: run('client', 500), 'ceiling-client': run('ceiling-client', 1000) },
      { client: run('client', 60) },
    ];
    assert.deepEqual(pairedRatio(rounds, ['client', recordsPerSec], ['ceiling-client', recordsPerSec]), {
      median: 0.5,
      min: 0.5,
      max: 0.5,
    });
  });

  it('ratio rows: goals met or not by the median, the RSS bound by the maximum, unmeasured ones null', () => {
    const rounds: Round[] = [1, 2, 3].map((i) => ({
      client: run('client', 70 * i, { peakRssMiB: i === 3 ? 210 : 100 }),
      'ceiling-client': run('ceiling-client', 100 * i),
      server: run('server', 50 * i),
      'ceiling-server': run('ceiling-server', 100 * i),
      harper: run('harper', 4 * i),
    }));
    const rows = new Map(ratioRows(rounds).map((row) => [row.name, row]));
    const client = rows.get('synth client ÷ ceiling client (records/s), raw peer')!;
    assert.ok(Math.abs(client.value!.median - 0.7) < 1e-9);
    assert.equal(client.met, true);
    assert.equal(rows.get('synth server ÷ ceiling server (records/s), raw peer')!.met, false);
    assert.equal(
      rows.get("synth client ÷ Harper's own sender (records/s), raw peer")!.met,
      null,
      'context only',
    );
    assert.ok(![...rows.keys()].some((name) => name.endsWith('ws peer')), 'no rows for a peer not measured');
    const best = rows.get(
      "synth best (faster of client, server) ÷ Harper's own sender (records/s), raw peer",
    )!;
    assert.deepEqual(best.value, { median: 17.5, min: 17.5, max: 17.5 }, 'the client, faster in every round');
    assert.equal(best.met, true, '17.5 ≥ 15');
    assert.equal(
      rows.get('replay ÷ ceiling over the same frames (MB/s, index included), raw peer')!.met,
      null,
      'no replay measured',
    );
    const rss = rows.get('tool peak RSS, every variant (MiB)')!;
    // A round where the server is the faster: the best is the server's figure.
    const serverFaster = rounds.map((round) => ({
      ...round,
      server: run('server', round.client!.recordsPerSec! * 2),
    }));
    const bestOfServer = new Map(ratioRows(serverFaster).map((row) => [row.name, row])).get(
      "synth best (faster of client, server) ÷ Harper's own sender (records/s), raw peer",
    )!;
    assert.deepEqual(bestOfServer.value, { median: 35, min: 35, max: 35 });
    // The same figures again with the ws peer: its own rows, from its own variants only.
    const withWs = rounds.map((round) => ({
      ...round,
      'client@ws': run('client', round.client!.recordsPerSec! / 2),
      'ceiling-client@ws': run('ceiling-client', round['ceiling-client']!.recordsPerSec! / 2),
      'server@ws': run('server', round.server!.recordsPerSec!),
      'ceiling-server@ws': run('ceiling-server', round['ceiling-server']!.recordsPerSec!),
    }));
    const wsRows = new Map(ratioRows(withWs).map((row) => [row.name, row]));
    assert.ok(
      Math.abs(wsRows.get('synth client ÷ ceiling client (records/s), ws peer')!.value!.median - 0.7) < 1e-9,
    );
    assert.deepEqual(
      wsRows.get("synth best (faster of client, server) ÷ Harper's own sender (records/s), ws peer")!.value,
      { median: 12.5, min: 12.5, max: 12.5 },
      'the server (50/4), faster than the halved client (35/4)',
    );
    assert.equal(
      wsRows.get("synth best (faster of client, server) ÷ Harper's own sender (records/s), ws peer")!.met,
      false,
    );
    assert.equal(rss.value!.median, 100);
    assert.equal(rss.met, false, 'one run at 210 MiB breaks the bound though the median keeps it');
  });

  it('variant rows: each tool figure as a fraction of its ceiling and a multiple of Harper, round by round', () => {
    const rounds: Round[] = [
      {
        client: run('client', 600),
        'ceiling-client': run('ceiling-client', 1000),
        harper: run('harper', 20),
      },
      {
        client: run('client', 300),
        'ceiling-client': run('ceiling-client', 1000),
        harper: run('harper', 10),
      },
    ];
    const client = variantRows(rounds).find((row) => row.variant === 'client')!;
    assert.equal(client.ceiling, 'ceiling-client');
    assert.deepEqual(client.ofCeiling, { median: 0.3, min: 0.3, max: 0.6 });
    assert.deepEqual(client.timesHarper, { median: 30, min: 30, max: 30 });
    assert.deepEqual(
      variantRows(rounds).map((row) => row.variant),
      ['ceiling-client', 'harper', 'client'],
      'table order, only what was measured',
    );
  });
});
