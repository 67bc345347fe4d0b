/**
 * --listen, one flag for every command that listens (capture --proxy, the peer mode of synth/replay/bench): one
 * shape `[HOST:]PORT`, one default host, one help text, parsed by one parser at parse time (a bad value exits 2).
 */
import { Flags } from '@oclif/core';

/** Loopback: only this machine can dial it. A node on another machine needs 0.0.0.0 or this machine's address. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

export interface ListenAddress {
  host: string;
  /** 0: any free port (the run says which). */
  port: number;
}

/** `9950`, `0.0.0.0:9950`, `[::1]:9950` → host and port; anything else, or a port beyond 65535, is refused. */
export function parseListen(text: string): ListenAddress {
  const match = /^(?:(.*):)?(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || port > 65535)
    throw new Error(
      `"${text}" is not [HOST:]PORT with a port from 0 to 65535 (e.g. 9950, or 0.0.0.0:9950 for other machines)`,
    );
  return { host: match[1]?.replace(/^\[|\]$/g, '') || DEFAULT_LISTEN_HOST, port };
}

/** The --listen flag: `role` says what listens (e.g. 'Proxy mode: the proxy'); the shape and default host are shared. */
export function listenFlag(role: string, defaultAddress?: string) {
  return Flags.custom<ListenAddress>({
    summary: `${role} listens on [HOST:]PORT (host ${DEFAULT_LISTEN_HOST} by default: only this machine can dial it; 0.0.0.0 for nodes on other machines; port 0 = any free port).`,
    helpValue: '[HOST:]PORT',
    parse: async (text) => parseListen(text),
    ...(defaultAddress === undefined
      ? {}
      : { default: parseListen(defaultAddress), defaultHelp: async () => defaultAddress }),
  })();
}
