/**
 * Prometheus remote write 1.0, the encoding only (pure): a WriteRequest of TimeSeries (labels + samples) as
 * protobuf (protobufjs, the schema below from prometheus/prompb types.proto and remote.proto, reflection — no
 * generated code), compressed with snappy's block format (snappyjs), and the headers the spec requires.
 */
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';

// snappyjs ships no types; this is the one function used (block format, as remote write requires).
const snappy = createRequire(import.meta.url)('snappyjs') as { compress(input: Uint8Array): Uint8Array };

const root = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
        TimeSeries: {
          fields: {
            labels: { rule: 'repeated', type: 'Label', id: 1 },
            samples: { rule: 'repeated', type: 'Sample', id: 2 },
          },
        },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
      },
    },
  },
});
const WriteRequest = root.lookupType('prometheus.WriteRequest');

export interface TimeSeries {
  /** `__name__` and the other labels; empty values are left out (Prometheus drops them anyway). */
  labels: Record<string, string>;
  /** Oldest first; timestamps in epoch ms. */
  samples: Array<{ value: number; timestamp: number }>;
}

/** What a run's pushes did (the result's `prometheus`). */
export interface PrometheusStats {
  /** The endpoint, without any credentials it carried. */
  url: string;
  /** The run_id label of every series. */
  runId: string | null;
  pushes: number;
  failedPushes: number;
  samplesSent: number;
  /** Samples not delivered: in a failed push, or over the queue's bound. */
  samplesDropped: number;
  /** Why the last failed push failed. */
  lastError: string | null;
}

/** The headers of remote write 1.0 (https://prometheus.io/docs/specs/remote_write_spec/). */
export const REMOTE_WRITE_HEADERS = {
  'Content-Encoding': 'snappy',
  'Content-Type': 'application/x-protobuf',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
} as const;

/** Labels sorted by name, as the spec requires; a metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*. */
function labelsOf(labels: Record<string, string>): Array<{ name: string; value: string }> {
  const name = labels.__name__;
  if (!name || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`bad metric name "${name}"`);
  return Object.entries(labels)
    .filter(([, value]) => value !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([labelName, value]) => ({ name: labelName, value }));
}

/** The protobuf WriteRequest, uncompressed (tests decode it back). */
export function encodeWriteRequest(series: TimeSeries[]): Uint8Array {
  const message = WriteRequest.fromObject({
    timeseries: series.map((s) => ({ labels: labelsOf(s.labels), samples: s.samples })),
  });
  return WriteRequest.encode(message).finish();
}

/** Decodes a WriteRequest (for tests and debugging). */
export function decodeWriteRequest(bytes: Uint8Array): TimeSeries[] {
  const decoded = WriteRequest.toObject(WriteRequest.decode(bytes), { longs: Number, defaults: true }) as {
    timeseries: Array<{ labels: Array<{ name: string; value: string }>; samples: TimeSeries['samples'] }>;
  };
  return decoded.timeseries.map((s) => ({
    labels: Object.fromEntries(s.labels.map((l) => [l.name, l.value])),
    samples: s.samples,
  }));
}

/** The request body: the encoded WriteRequest, snappy block-compressed. */
export function remoteWriteBody(series: TimeSeries[]): Uint8Array {
  return snappy.compress(encodeWriteRequest(series));
}
