/**
 * Kernel socket queues from /proc/net/tcp{,6}: how many bytes the tool's kernel still has to send (tx_queue) and
 * how many the target's kernel received that the target has not read (rx_queue). Loopback only: both ends of the
 * connection are on this machine.
 */
import { readFile } from 'node:fs/promises';

export interface TcpEntry {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: number;
  txQueue: number;
  rxQueue: number;
}

function parseAddress(hex: string): [string, number] {
  const [address, port] = hex.split(':') as [string, string];
  let text: string;
  if (address.length === 8) {
    // IPv4, little-endian bytes.
    text = [3, 2, 1, 0].map((i) => Number.parseInt(address.slice(i * 2, i * 2 + 2), 16)).join('.');
  } else {
    // IPv6 as four little-endian 32-bit words; only the IPv4-mapped form matters here.
    const words = [0, 1, 2, 3].map((w) => address.slice(w * 8, w * 8 + 8));
    const v4 = words[3]!;
    const mapped = words[0] === '00000000' && words[1] === '00000000' && words[2] === 'FFFF0000';
    text = mapped
      ? [3, 2, 1, 0].map((i) => Number.parseInt(v4.slice(i * 2, i * 2 + 2), 16)).join('.')
      : words.join(':').toLowerCase();
  }
  return [text, Number.parseInt(port, 16)];
}

export function parseTcpTable(text: string): TcpEntry[] {
  const entries: TcpEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5) continue;
    const [localAddress, localPort] = parseAddress(fields[1]!);
    const [remoteAddress, remotePort] = parseAddress(fields[2]!);
    const [tx, rx] = fields[4]!.split(':') as [string, string];
    entries.push({
      localAddress,
      localPort,
      remoteAddress,
      remotePort,
      state: Number.parseInt(fields[3]!, 16),
      txQueue: Number.parseInt(tx, 16),
      rxQueue: Number.parseInt(rx, 16),
    });
  }
  return entries;
}

export interface ConnectionQueues {
  /** Bytes in the tool's kernel send queue. */
  toolTxQueue: number;
  /** Bytes the target's kernel holds that the target has not read. */
  targetRxQueue: number;
}

/** Both ends of one loopback connection, given the tool's local and remote ports. */
export function queuesOf(
  entries: TcpEntry[],
  toolPort: number,
  peerPort: number,
): ConnectionQueues | undefined {
  const tool = entries.find((e) => e.localPort === toolPort && e.remotePort === peerPort);
  const target = entries.find((e) => e.localPort === peerPort && e.remotePort === toolPort);
  if (!tool || !target) return undefined;
  return { toolTxQueue: tool.txQueue, targetRxQueue: target.rxQueue };
}

export async function readTcpTables(): Promise<TcpEntry[]> {
  const texts = await Promise.all(
    ['/proc/net/tcp', '/proc/net/tcp6'].map((path) => readFile(path, 'utf8').catch(() => '')),
  );
  return texts.flatMap(parseTcpTable);
}
