/**
 * Counts the data messages and payload bytes of a WebSocket byte stream without keeping any of it: the discarding
 * peer's whole job. Frame headers may be split across chunks (kept in 14 bytes); payloads are skipped, not read,
 * and masked payloads are not unmasked (nobody looks at them).
 */
const MAX_HEADER = 14;
const CONTROL_OPCODES = 0x8;

export class FrameCounter {
  /** Data messages completed (a final text, binary or continuation frame); control frames are not counted. */
  messages = 0;
  /** Payload bytes of data frames. */
  payloadBytes = 0;
  private readonly header = Buffer.alloc(MAX_HEADER);
  private headerLength = 0;
  private payloadLeft = 0;
  private finalData = false;
  private control = false;

  constructor(private readonly onMessage: () => void = () => {}) {}

  /** Feeds `chunk[start, end)`. */
  push(chunk: Uint8Array, start = 0, end = chunk.length): void {
    let at = start;
    while (at < end) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, end - at);
        this.payloadLeft -= take;
        if (!this.control) this.payloadBytes += take;
        at += take;
        if (this.payloadLeft === 0) this.endFrame();
        continue;
      }
      this.header[this.headerLength++] = chunk[at++]!;
      if (this.headerLength < headerSize(this.header, this.headerLength)) continue;
      this.startFrame();
    }
  }

  private startFrame(): void {
    const header = this.header;
    const opcode = header[0]! & 0x0f;
    this.control = opcode >= CONTROL_OPCODES;
    this.finalData = !this.control && (header[0]! & 0x80) !== 0;
    const short = header[1]! & 0x7f;
    this.payloadLeft =
      short === 126 ? header.readUInt16BE(2) : short === 127 ? Number(header.readBigUInt64BE(2)) : short;
    this.headerLength = 0;
    if (this.payloadLeft === 0) this.endFrame();
  }

  private endFrame(): void {
    if (!this.finalData) return;
    this.finalData = false;
    this.messages++;
    this.onMessage();
  }
}

/** The header's full size once its first `known` bytes are in (2 until the length byte is). */
export function headerSize(header: Uint8Array, known: number): number {
  if (known < 2) return 2;
  const short = header[1]! & 0x7f;
  const extended = short === 126 ? 2 : short === 127 ? 8 : 0;
  const mask = header[1]! & 0x80 ? 4 : 0;
  return 2 + extended + mask;
}
