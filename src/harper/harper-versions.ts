/**
 * What the tool knows per Harper version, and how it knows it: 4.7 was measured live (harperdb 4.7.29, the only
 * version on the registry); 5.x was read from the source only (HarperFast/harper-pro d2a193f, 5.2.4+:
 * replication/replicationConnection.ts, clusterStatus.ts; see HARPER5.md). Pure data and lookups: which receive
 * settings exist and their defaults (log lines: log-scan.ts; close reasons: protocol/close-reasons.ts).
 */

export type HarperFamily = '4.7' | '5.x' | 'unknown';
export type Verification = 'verified live' | 'built from source only' | 'unknown';

export interface VersionKnowledge {
  /** The version the target reported (registration_info), null when it did not say. */
  version: string | null;
  family: HarperFamily;
  verification: Verification;
  /** What was checked for this family, in a few words each. */
  verified: string[];
}

const VERIFIED: Record<HarperFamily, string[]> = {
  '4.7': [
    'wire frames (golden frames and captures recorded from 4.7.29)',
    'receive settings (bench applies and reads them back)',
    'log lines (pause/resume, uncaught blob errors, OOM)',
    'cluster_status fields (sampled live)',
  ],
  '5.x': [
    'wire frames built from the harper-pro d2a193f source (no live node)',
    'settings, log lines and cluster_status fields read from that source',
  ],
  unknown: [],
};

/** The family of a version string (`4.7.29`, `5.0.16`, …). 4.x before 4.7 is unknown: never measured or read. */
export function familyOf(version: string | null | undefined): HarperFamily {
  const match = /^v?(\d+)\.(\d+)/.exec(version ?? '');
  if (!match) return 'unknown';
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major === 4 && minor === 7) return '4.7';
  if (major === 5) return '5.x';
  return 'unknown';
}

export function versionKnowledge(version: string | null | undefined): VersionKnowledge {
  const family = familyOf(version);
  const verification: Verification =
    family === '4.7' ? 'verified live' : family === '5.x' ? 'built from source only' : 'unknown';
  return { version: version ?? null, family, verification, verified: VERIFIED[family] };
}

/** "Harper 4.7.29 (verified live: wire frames …; …)": the summary's line about the target's version. */
export function describeVersion(knowledge: VersionKnowledge): string {
  const what = knowledge.verified.length ? `: ${knowledge.verified.join('; ')}` : '';
  return `Harper ${knowledge.version ?? 'version unknown'} (${knowledge.verification}${what})`;
}

/** A receive-side setting (config `replication.<key>`, env `REPLICATION_<KEY>`), its default per family. */
export interface ReceiveSetting {
  key: string;
  /** Default per family; absent: the family does not have the setting. */
  defaults: Partial<Record<'4.7' | '5.x', string>>;
}

export const RECEIVE_SETTINGS: ReceiveSetting[] = [
  { key: 'receiveEventHighWaterMark', defaults: { '5.x': '100' } },
  { key: 'receiveYieldInterval', defaults: { '5.x': '100 ms' } },
  { key: 'receiveQueueHighWaterMark', defaults: { '5.x': '33554432 B (from 5.2.4; 0 disables)' } },
  { key: 'recordConcurrency', defaults: { '4.7': '150', '5.x': '150' } },
  { key: 'blobConcurrency', defaults: { '4.7': '5', '5.x': '5' } },
  { key: 'blobTimeout', defaults: { '4.7': '120000 ms', '5.x': '900000 ms' } },
  { key: 'blobGapReconnectMs', defaults: { '5.x': '= blobTimeout' } },
  { key: 'pauseStallTimeout', defaults: { '5.x': 'max(2×pingTimeout, 2×blobTimeout)' } },
  { key: 'subscriptionResolveTimeout', defaults: { '5.x': '60000 ms' } },
  { key: 'copyTimeout', defaults: { '5.x': '300000 ms' } },
  { key: 'maxPayload', defaults: { '4.7': '1e8 B', '5.x': '1e8 B' } },
];

/** The receive setting an env-style key (`REPLICATION_RECEIVEEVENTHIGHWATERMARK`) or dotted key names, if known. */
export function receiveSetting(name: string): ReceiveSetting | undefined {
  const bare = name
    .replace(/^replication[._]/i, '')
    .replace(/[._]/g, '')
    .toLowerCase();
  return RECEIVE_SETTINGS.find((setting) => setting.key.toLowerCase() === bare);
}

/**
 * Why a setting may not have applied, from what the tool knows: "replication.receiveEventHighWaterMark exists only
 * in Harper Pro 5.x (default 100); the target runs 4.7.29". Undefined when the key is unknown or the family has it.
 */
export function settingAvailabilityNote(name: string, target: VersionKnowledge): string | undefined {
  const setting = receiveSetting(name);
  if (!setting) return undefined;
  const families = Object.keys(setting.defaults) as Array<'4.7' | '5.x'>;
  if (target.family !== 'unknown' && families.includes(target.family)) return undefined;
  const where = families.map(
    (f) => `${f === '5.x' ? 'Harper Pro 5.x' : 'harperdb 4.7'} (default ${setting.defaults[f]})`,
  );
  return `replication.${setting.key} exists only in ${where.join(' and ')}; the target runs ${target.version ?? 'an unknown version'}`;
}

/** The target's version, read once: registration_info answers `{version}` on 4.7.29 (deprecated there, still cheap). */
export async function readHarperVersion(client: {
  call<T = unknown>(request: { operation: string }, timeoutMs?: number): Promise<T>;
}): Promise<string | null> {
  try {
    const info = await client.call<{ version?: unknown }>({ operation: 'registration_info' }, 10_000);
    return typeof info?.version === 'string' ? info.version : null;
  } catch {
    return null;
  }
}
