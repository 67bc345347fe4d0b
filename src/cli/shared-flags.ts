/** Flags every command that talks to a target shares: where it is, how to log in, the embedded node's settings. */
import { Flags, type Interfaces } from '@oclif/core';
import { parseKeyValue } from '../common/units.js';

/** The values `parse` gives for these flag definitions, as oclif infers them (without its --json). */
export type FlagValues<T> = Omit<Interfaces.InferredFlags<T>, 'json'>;

/**
 * Flag relations are oclif's `relationships` (checked by parse, exit 2), not `dependsOn` / `exclusive`: those
 * would also rewrite the help's usage line, and wrongly (--listen-cert | --listen-key as if they excluded each other).
 */
type Related = string | { name: string; when: (flags: Record<string, unknown>) => Promise<boolean> };
/** Given, this flag needs all of these. */
export const needs = (...flags: Related[]) => ({ type: 'all' as const, flags });
/** Given, this flag excludes all of these (those only when their `when` says so). */
export const excludes = (...flags: Related[]) => ({ type: 'none' as const, flags });

/** The same flags, each valid only when `flag` is given too. */
export function requiring<T extends Record<string, object>>(flags: T, flag: string): T {
  return Object.fromEntries(
    Object.entries(flags).map(([name, definition]) => [
      name,
      { ...definition, relationships: [needs(flag)] },
    ]),
  ) as T;
}

export const targetFlags = {
  target: Flags.string({
    summary:
      "Target node's operations API URL. Without it an embedded harperdb 4.7.29 is started and removed.",
    env: 'HARPER_TARGET',
    helpValue: 'URL',
  }),
  replication: Flags.string({
    summary: "Target's replication WebSocket URL (default: derived from the target's get_configuration).",
    helpValue: 'URL',
  }),
  user: Flags.string({
    summary: 'Target user (super_user for peer mode).',
    env: 'HARPER_USER',
    default: 'admin',
  }),
  password: Flags.string({
    summary: 'Target password. Never printed or written anywhere.',
    env: 'HARPER_PASSWORD',
  }),
  'node-config': Flags.string({
    summary:
      'Embedded node setting as a Harper env override, repeatable (e.g. REPLICATION_RECORDCONCURRENCY=2).',
    multiple: true,
    helpValue: 'KEY=VALUE',
    // A node of the user's is reconfigured with bench --set, never with start-up overrides it would ignore.
    relationships: [excludes('target')],
  }),
  // The embedded node's own: with --target they would be silently ignored, so they are refused (exit 2).
  threads: Flags.integer({
    summary: "Embedded node's THREADS_COUNT.",
    default: 1,
    min: 1,
    relationships: [excludes('target')],
  }),
  'keep-node': Flags.boolean({
    summary: "Keep the embedded node's temp dir after the run (for post-mortems).",
    relationships: [excludes('target')],
  }),
  verbose: Flags.boolean({ summary: 'Print stack traces of errors.' }),
};

/**
 * `parse`, refusing zero (or less) where it would mean nothing (a duration, a size): a parser for flagValue, which
 * names the flag — `flagValue('ack-timeout', text, positive(parseDuration))` → "--ack-timeout 0s: must be more than 0".
 */
export function positive(parse: (text: string) => number): (text: string) => number {
  return (text) => {
    const value = parse(text);
    if (!(value > 0)) throw new Error(`${text}: must be more than 0`);
    return value;
  };
}

/** Every command that writes files: an existing output is refused unless --force (an input never is replaced). */
export const forceFlag = {
  force: Flags.boolean({ summary: 'Replace output files that exist (never one of the inputs).' }),
};

/**
 * How the tool dials a node over TLS (wss replication, https operations API) and the bearer-token alternative to
 * Basic credentials. Resolved into TlsSettings by tls-options.ts; nothing here is ever printed.
 */
export const tlsFlags = {
  ca: Flags.string({
    summary:
      "Trust this CA (PEM file, may hold several) for the node's certificate instead of the system CAs.",
    env: 'HARPER_CA',
    helpValue: 'FILE',
  }),
  'ca-from-target': Flags.boolean({
    summary:
      "Read the node's own CA with list_certificates over the operations API (http://, or https:// verified by --ca or the system CAs) and trust it for replication.",
  }),
  cert: Flags.string({
    summary:
      'Client certificate to present (PEM); Harper accepts it when its CN/SAN names an hdb_nodes entry.',
    helpValue: 'FILE',
  }),
  key: Flags.string({
    summary: "The client certificate's private key (PEM, unencrypted).",
    helpValue: 'FILE',
  }),
  servername: Flags.string({
    summary:
      "Verify the node's certificate against this name (and send it as SNI) instead of the URL's host.",
    helpValue: 'NAME',
  }),
  insecure: Flags.boolean({
    summary: "Do not verify the node's TLS certificate (loudly warned; never the default).",
  }),
  token: Flags.string({
    summary:
      'Bearer token (operation_token of create_authentication_tokens) instead of --user/--password. Never printed.',
    env: 'HARPER_TOKEN',
    helpValue: 'TOKEN',
  }),
};

/**
 * A node's URL as the flag gave it, refused when it cannot work: not a URL, another scheme, no host, port 0 or
 * beyond 65535 (the URL parser refuses those) — before anything dials it.
 */
export function checkUrl(flag: string, text: string, schemes: string[] = ['http', 'https']): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  const scheme = url?.protocol.replace(/:$/, '');
  if (!url || !scheme || !schemes.includes(scheme) || !url.hostname || url.port === '0')
    throw new Error(
      `--${flag} ${text} is not a ${schemes.join(' or ')} URL with a host and a port from 1 to 65535 (e.g. ${schemes[0]}://127.0.0.1:9925)`,
    );
  return text;
}

/** `parse(text)`, its error prefixed with the flag that gave the text: the user sees which flag to fix. */
export function flagValue<T>(flag: string, text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (error) {
    const message = (error as Error).message;
    if (message.startsWith(`--${flag}`)) throw new Error(message);
    // "threshold "x": …" from the parser becomes "--threshold "x": …", not "--threshold threshold …".
    if (message.startsWith(`${flag} `)) throw new Error(`--${message}`);
    throw new Error(`--${flag} ${message}`);
  }
}

export function nodeConfig(entries: string[] | undefined): Record<string, string> {
  return Object.fromEntries((entries ?? []).map((entry) => flagValue('node-config', entry, parseKeyValue)));
}

/** `a, b,c` → ['a', 'b', 'c'] (undefined stays undefined: the flag was not given). */
export function commaList(text: string | undefined): string[] | undefined {
  return text
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
