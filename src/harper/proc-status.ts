/** The target process as the kernel sees it (local targets only): /proc/<pid>/status memory lines. */
import { readFile, writeFile } from 'node:fs/promises';

export interface ProcMemory {
  /** Resident set size now (bytes). */
  rss: number;
  /** Peak resident set size since start or the last reset (bytes). */
  hwm: number;
}

/** Parses VmRSS and VmHWM (kB) out of /proc/<pid>/status text. */
export function parseProcStatus(text: string): ProcMemory | undefined {
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(text);
  if (!rss || !hwm) return undefined;
  return { rss: Number(rss[1]) * 1024, hwm: Number(hwm[1]) * 1024 };
}

export async function readProcMemory(pid: number): Promise<ProcMemory | undefined> {
  try {
    return parseProcStatus(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined; // the process is gone
  }
}

/** Resets the kernel's peak RSS counter (VmHWM) to the current RSS: `echo 5 > /proc/<pid>/clear_refs`. */
export async function resetPeakRss(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
